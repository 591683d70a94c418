using System.Net.Http.Headers;
using System.Text;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>A per-number flow-limit window of an SMS emulator.</summary>
/// <param name="Window">The rolling window.</param>
/// <param name="MaxMessages">The most messages to one number within it.</param>
/// <param name="Code">The provider's code (or message) when the window is full.</param>
public sealed record SmsEmulatorLimit(TimeSpan Window, int MaxMessages, string Code);

/// <summary>What the SMS emulators share: per-number windows and posting callbacks to a host.</summary>
internal sealed class SmsEmulatorSupport
{
    private readonly Dictionary<string, List<DateTimeOffset>> _sends = new(StringComparer.Ordinal);

    /// <summary>The first full window for <paramref name="number"/> at <paramref name="now"/>, or <see langword="null"/> (then the send is recorded). Call under the emulator's lock.</summary>
    public SmsEmulatorLimit? TryRecord(string number, DateTimeOffset now, IReadOnlyList<SmsEmulatorLimit> limits)
    {
        if (!_sends.TryGetValue(number, out var times))
        {
            _sends[number] = times = [];
        }
        times.RemoveAll(t => now - t >= TimeSpan.FromDays(1));
        foreach (var limit in limits)
        {
            if (times.Count(t => now - t < limit.Window) >= limit.MaxMessages)
            {
                return limit;
            }
        }
        times.Add(now);
        return null;
    }

    /// <summary>POSTs a JSON body to a host's callback URL and returns the status and body of its answer.</summary>
    public static async Task<(int Status, string Body)> PostAsync(Uri target, string json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var response = await http.PostAsync(target, content, cancellationToken).ConfigureAwait(false);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }
}
