using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Marketing.Sdk.Platforms.Meta.Tests;

public sealed class PropertyTests : IAsyncLifetime
{
    private MetaScope _scope = null!;
    private int _case;

    public async Task InitializeAsync() => _scope = await MetaScope.StartAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public void Us_numbers_normalise_to_the_same_digits_whatever_the_formatting() =>
        Prop.ForAll(
            Arb.From(Gen.Choose(200, 999)),
            Arb.From(Gen.Choose(200, 999)),
            Arb.From(Gen.Choose(0, 49_999)),
            (area, exchange, lineAndStyle) =>
            {
                var line = lineAndStyle % 10_000;
                var style = lineAndStyle / 10_000;
                var national = $"{area}{exchange}{line:D4}";
                var formatted = style switch
                {
                    0 => $"({area}){exchange}-{line:D4}",
                    1 => $"{area}.{exchange}.{line:D4}",
                    2 => $"{area} {exchange} {line:D4}",
                    3 => $"+1 {area}-{exchange}-{line:D4}",
                    _ => $"1{national}",
                };
                var normalised = MetaMatching.NormalizePhone(formatted, "US");
                return normalised == "1" + national
                    && MetaMatching.HashPhone(formatted, "US") == MetaMatching.HashPhone("+1" + national, null);
            }).QuickCheckThrowOnFailure();

    /// <summary>
    /// For any batch and any set of events Meta would reject, halving isolates exactly those events,
    /// delivers all the others once, and costs at most 1 + 2·k·⌈log₂ n⌉ requests.
    /// </summary>
    [Property(MaxTest = 30)]
    public bool Halving_rejects_exactly_the_invalid_events(PositiveInt seed)
    {
        var random = new Random(seed.Get);
        var n = random.Next(1, 41);
        var invalid = Enumerable.Range(0, n).Where(_ => random.NextDouble() < 0.15).ToHashSet();
        var id = Interlocked.Increment(ref _case);
        var now = _scope.Time.GetUtcNow();
        var batch = Enumerable.Range(0, n).Select(i =>
        {
            var p = Conversions.Prepared(Conversions.Purchase($"p{id}-{i}", now.AddSeconds(-i), customer: $"c{i}"));
            return invalid.Contains(i) ? p with { Match = new Dictionary<string, string>(p.Match) { ["email"] = "plain@example.com" } } : p;
        }).ToArray();
        var client = _scope.Client();
        var before = _scope.Emulator.RequestCount;

        var result = client.SendAsync(batch).AsTask().GetAwaiter().GetResult();

        var requests = _scope.Emulator.RequestCount - before;
        var accepted = _scope.Emulator.AcceptedEvents.Where(e => e.EventId!.StartsWith($"p{id}-", StringComparison.Ordinal)).Select(e => int.Parse(e.EventId![$"p{id}-".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var log = (int)Math.Ceiling(Math.Log2(Math.Max(2, n)));
        return result.Items.Select((r, i) => r.Index == i && (r.Outcome == DeliveryOutcome.Rejected) == invalid.Contains(i)).All(ok => ok)
            && accepted.SetEquals(Enumerable.Range(0, n).Where(i => !invalid.Contains(i)))
            && requests <= 1 + (2 * invalid.Count * log);
    }
}
