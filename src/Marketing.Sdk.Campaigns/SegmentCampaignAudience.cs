using System.Runtime.CompilerServices;
using Marketing.Sdk.Segmentation;

namespace Marketing.Sdk.Campaigns;

/// <summary>The default audience: the segment's recorded members (<see cref="ISegmentService.GetMembersAsync"/>) with their value layer now (<see cref="ISegmentService.GetValueLayersAsync"/>); a member without one is in layer <c>unknown</c>.</summary>
internal sealed class SegmentCampaignAudience(ISegmentService segments) : ICampaignAudience
{
    public async IAsyncEnumerable<CampaignAudienceMember> GetMembersAsync(string segmentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var layers = new Dictionary<CustomerId, ValueLayer>();
        await foreach (var l in segments.GetValueLayersAsync(cancellationToken).ConfigureAwait(false))
        {
            layers[l.CustomerId] = l.Layer;
        }
        await foreach (var id in segments.GetMembersAsync(segmentId, cancellationToken).ConfigureAwait(false))
        {
            yield return new CampaignAudienceMember(id, layers.TryGetValue(id, out var layer) ? LayerName(layer) : "unknown");
        }
    }

    /// <summary>The layer's name in campaign definitions: the enum name in lower case.</summary>
    public static string LayerName(ValueLayer layer) => layer.ToString().ToLowerInvariant();
}
