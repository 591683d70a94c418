using Marketing.Sdk.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Tests;

public sealed class LeaseStoreTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryStateStore _state = new();

    private StateStoreLeaseStore Leases => new(_state, _time);

    [Theory]
    [InlineData("", "a", 60)]
    [InlineData("x", " ", 60)]
    [InlineData("x", "a", 0)]
    [InlineData("x", "a", -1)]
    [InlineData("x", "a", 86_401)]
    public async Task Bad_arguments_are_refused(string name, string owner, int seconds)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Leases.TryAcquireAsync(name, owner, TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public async Task Names_longer_than_200_characters_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Leases.TryAcquireAsync(new string('n', 201), "a", TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Tokens_only_grow_across_holders_even_after_releases()
    {
        var leases = Leases;
        var tokens = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            var grant = await leases.TryAcquireAsync("duty", $"host-{i % 2}", TimeSpan.FromMinutes(1));
            tokens.Add(grant!.FencingToken);
            Assert.True(await leases.ReleaseAsync(grant));
        }
        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    [Fact]
    public async Task An_owner_whose_name_holds_the_separator_reads_back_unchanged()
    {
        var leases = Leases;
        var grant = await leases.TryAcquireAsync("duty", "node|7|x", TimeSpan.FromMinutes(1));
        Assert.NotNull(grant);
        var again = await leases.TryAcquireAsync("duty", "node|7|x", TimeSpan.FromMinutes(1));
        Assert.Equal(grant.FencingToken, again!.FencingToken);
        Assert.Null(await leases.TryAcquireAsync("duty", "node|7", TimeSpan.FromMinutes(1)));
    }
}
