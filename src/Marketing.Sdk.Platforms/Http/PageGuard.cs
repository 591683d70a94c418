namespace Marketing.Sdk.Platforms.Http;

/// <summary>
/// Bounds a paged read: at most a number of pages, and no cursor (or page token) twice, so a platform
/// answering with endless or repeating cursors ends the read with a typed error instead of running on.
/// </summary>
public sealed class PageGuard
{
    private readonly string _platform;
    private readonly string _operation;
    private readonly int _maxPages;
    private readonly HashSet<string> _cursors = new(StringComparer.Ordinal);

    internal PageGuard(string platform, string operation, int maxPages)
    {
        _platform = platform;
        _operation = operation;
        _maxPages = maxPages;
    }

    /// <summary>Pages read so far.</summary>
    public int Pages { get; private set; }

    /// <summary>Counts a page about to be read; <paramref name="cursor"/> is what requests it (<see langword="null"/> for the first page).</summary>
    /// <param name="cursor">The cursor, page token or page number that requests the page.</param>
    /// <exception cref="PlatformApiException">The page limit is reached (<see cref="PlatformApiClient.PageLimitCode"/>) or the cursor was seen before (<see cref="PlatformApiClient.RepeatedCursorCode"/>); permanent.</exception>
    public void Next(string? cursor)
    {
        if (Pages >= _maxPages)
        {
            throw new PlatformApiException(_platform, PlatformErrorClass.Permanent, null,
                $"{_operation}: stopped after {_maxPages} pages (PlatformClientOptions.MaxPages)", PlatformApiClient.PageLimitCode);
        }
        if (cursor is not null && !_cursors.Add(cursor))
        {
            throw new PlatformApiException(_platform, PlatformErrorClass.Permanent, null,
                $"{_operation}: the platform sent a cursor it had sent before", PlatformApiClient.RepeatedCursorCode);
        }
        Pages++;
    }
}
