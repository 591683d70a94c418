using Marketing.Sdk.Attribution;

namespace Marketing.Sdk.Export.Parquet;

/// <summary>
/// Cuts one customer's events into conversion paths by <see cref="PathBuilder"/>'s rules: each conversion gets the touches
/// (touch types with a channel) since the previous conversion, within the lookback window, de-duplicated by session, the
/// most recent <see cref="PathBuilderOptions.MaxTouchesPerPath"/> kept. Unlike <see cref="PathBuilder"/>, which aggregates
/// paths, it keeps each touch's event, and a conversion without touches (direct) is kept too.
/// </summary>
internal sealed class PathCutter
{
    private readonly PathBuilderOptions _options;
    private readonly HashSet<EventType> _touchTypes;
    private readonly HashSet<EventType> _conversionTypes;

    public PathCutter(PathBuilderOptions options)
    {
        options.Validate();
        _options = options;
        _touchTypes = [.. options.TouchEventTypes];
        _conversionTypes = [.. options.ConversionEventTypes];
    }

    /// <summary>The paths of one customer's events (in occurrence order, then id).</summary>
    public IEnumerable<(MarketingEvent Conversion, List<MarketingEvent> Touches)> Cut(IReadOnlyList<MarketingEvent> events)
    {
        var touches = new List<MarketingEvent>();
        foreach (var e in events)
        {
            if (_conversionTypes.Contains(e.Type))
            {
                var from = e.OccurredAt - _options.LookbackWindow;
                var path = touches.Where(t => t.OccurredAt >= from && t.OccurredAt <= e.OccurredAt).ToList();
                if (path.Count > _options.MaxTouchesPerPath)
                {
                    path.RemoveRange(0, path.Count - _options.MaxTouchesPerPath);
                }
                yield return (e, path);
                touches.Clear();
            }
            else if (_touchTypes.Contains(e.Type) && e.Channel is not null && !IsDuplicate(touches, e))
            {
                touches.Add(e);
            }
        }
    }

    private bool IsDuplicate(List<MarketingEvent> touches, MarketingEvent e)
    {
        if (!_options.DeduplicateSessions || touches.Count == 0)
        {
            return false;
        }
        if (e.SessionId is not null)
        {
            for (var i = touches.Count - 1; i >= 0; i--)
            {
                var t = touches[i];
                if (string.Equals(t.SessionId, e.SessionId, StringComparison.Ordinal) && t.Channel == e.Channel &&
                    string.Equals(t.CampaignId, e.CampaignId, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            return false;
        }
        var last = touches[^1];
        return last.SessionId is null && last.Channel == e.Channel &&
               string.Equals(last.CampaignId, e.CampaignId, StringComparison.Ordinal) &&
               e.OccurredAt - last.OccurredAt <= _options.DeduplicationWindow;
    }
}
