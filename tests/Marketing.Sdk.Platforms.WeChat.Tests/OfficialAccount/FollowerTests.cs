using System.Text;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.WeChat.Tests.OfficialAccount;

public sealed class FollowerTests
{
    [Fact]
    public async Task Paging_follows_next_openid_to_the_end_ten_thousand_at_a_time()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers(Enumerable.Range(0, 25_000).Select(i => (OaData.OpenId(i), (string?)null)));
        var client = h.Client();

        var pages = new List<OfficialAccountFollowerPage>();
        await foreach (var page in client.GetFollowersAsync())
        {
            pages.Add(page);
        }

        Assert.Equal([10_000, 10_000, 5_000], pages.Select(p => p.OpenIds.Count));
        Assert.All(pages, p => Assert.Equal(25_000, p.Total));
        Assert.Equal(Enumerable.Range(0, 25_000).Select(OaData.OpenId), pages.SelectMany(p => p.OpenIds));
        Assert.Equal(1 + 4, h.Emulator.RequestCount); // the token, three pages and the empty page that ends the list
    }

    [Fact]
    public async Task Paging_can_start_after_a_given_openid()
    {
        await using var h = await OaHarness.StartAsync(o => o with { FollowersPageSize = 3 });
        h.Emulator.AddFollowers(Enumerable.Range(0, 7).Select(i => (OaData.OpenId(i), (string?)null)));
        var client = h.Client();

        var ids = new List<string>();
        await foreach (var page in client.GetFollowersAsync(OaData.OpenId(2)))
        {
            ids.AddRange(page.OpenIds);
        }

        Assert.Equal(Enumerable.Range(3, 4).Select(OaData.OpenId), ids);
    }

    [Fact]
    public async Task User_info_gives_follow_state_and_unionid_for_at_most_a_hundred()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(1), OaData.UnionId(1)), (OaData.OpenId(2), null), (OaData.OpenId(3), OaData.UnionId(3))]);
        h.Emulator.Unfollow(OaData.OpenId(3));
        var client = h.Client();

        var infos = await client.GetUserInfosAsync([OaData.OpenId(1), OaData.OpenId(2), OaData.OpenId(3)]);

        Assert.Equal(
            [(OaData.OpenId(1), true, OaData.UnionId(1)), (OaData.OpenId(2), true, null), (OaData.OpenId(3), false, null)],
            infos.Select(i => (i.OpenId, i.Subscribed, i.UnionId)).ToArray());
        var tooMany = Assert.Throws<PlatformRequestException>(() => client.GetUserInfosAsync(Enumerable.Range(0, 101).Select(OaData.OpenId).ToList()).GetAwaiter().GetResult());
        Assert.Equal("user_list", tooMany.Field);
        Assert.DoesNotContain(OaData.UnionId(1), infos[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sync_links_followers_to_profiles_bounded_and_resumable()
    {
        await using var h = await OaHarness.StartAsync(o => o with { FollowersPageSize = 120 });
        h.Emulator.AddFollowers(Enumerable.Range(0, 250).Select(i => (OaData.OpenId(i), i % 2 == 0 ? OaData.UnionId(i) : null)));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(h.Time);
        services.AddMarketingSdk(m => m.AddWeChatOfficialAccount(o =>
        {
            o.BaseAddress = h.Emulator.BaseAddress;
            o.AppId = h.Emulator.AppId;
            o.AppSecret = h.Emulator.AppSecret;
            o.RequestsPerSecond = 0;
        }));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        // A customer the shop already knows by unionid (e.g. from its mini-program).
        var known = await provider.GetRequiredService<IEventCollector>().TrackAsync(new MarketingEvent
        {
            Id = "login-1",
            Type = EventType.Create("login"),
            OccurredAt = h.Time.GetUtcNow(),
            Identities = [Identity.Member("member-42"), Identity.WeChatUnionId(OaData.UnionId(4))],
        });
        var sync = provider.GetRequiredService<OfficialAccountFollowerSync>();

        var first = await sync.RunAsync(maxFollowers: 150);
        var second = await sync.RunAsync(maxFollowers: 150);
        var again = await sync.RunAsync();

        Assert.Equal(new FollowerSyncResult(150, 150, 0, 75, 0, Completed: false), first);
        Assert.Equal(new FollowerSyncResult(100, 100, 0, 50, 0, Completed: true), second);
        Assert.Equal(new FollowerSyncResult(250, 0, 250, 125, 0, Completed: true), again);
        var profiles = provider.GetRequiredService<IProfileService>();
        var linked = await profiles.FindByIdentityAsync(Identity.WeChatOpenId(OaData.OpenId(4)));
        Assert.Equal(known.CustomerId, linked?.Id);
        Assert.NotNull(await profiles.FindByIdentityAsync(Identity.WeChatOpenId(OaData.OpenId(249))));
        var checkpoint = await provider.GetRequiredService<IStateStore>().GetAsync(OfficialAccountFollowerSync.CheckpointScope, h.Emulator.AppId);
        Assert.DoesNotContain("oAbC", checkpoint!.Value, StringComparison.Ordinal); // completed: starts from the beginning next time
    }

    [Fact]
    public async Task Hostile_follower_answers_are_typed_errors()
    {
        await using var h = await OaHarness.StartAsync();
        var client = h.Client(o => o.MaxResponseBytes = 64 * 1024);
        await client.GetFollowerPageAsync();

        h.Emulator.AnswerNextWith("<html>502 Bad Gateway</html>"u8.ToArray(), "text/html");
        var notJson = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowerPageAsync());
        h.Emulator.AnswerNextWith(Encoding.UTF8.GetBytes("{\"total\":1,\"count\":1,\"data\":{\"openid\":[\"o\\u0000pen\"]},\"next_openid\":\"\"}"));
        var badId = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowerPageAsync());
        h.Emulator.AnswerNextWith(Encoding.UTF8.GetBytes("{\"total\":1,\"count\":5,\"data\":{\"openid\":[\"a\"]}}"));
        var miscounted = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowerPageAsync());
        h.Emulator.AnswerNextWith(Encoding.UTF8.GetBytes("{\"total\":1,\"count\":1,\"data\":{\"openid\":[\"" + new string('a', 200_000) + "\"]}}"));
        var oversize = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowerPageAsync());
        h.Emulator.AnswerNextWith(Encoding.UTF8.GetBytes("[1,2,3]"));
        var array = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowerPageAsync());

        Assert.All(new[] { notJson, badId, miscounted, oversize, array }, e => Assert.Equal((PlatformErrorClass.Transient, Http.PlatformApiClient.MalformedAnswerCode), (e.ErrorClass, e.PlatformCode)));
        Assert.DoesNotContain("o\u0000pen", badId.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_platform_repeating_its_cursor_ends_the_read_with_a_typed_error()
    {
        await using var h = await OaHarness.StartAsync();
        var client = h.Client();
        await client.GetFollowerPageAsync();
        var loop = Encoding.UTF8.GetBytes("{\"total\":9,\"count\":1,\"data\":{\"openid\":[\"oLoop\"]},\"next_openid\":\"oLoop\"}");
        h.Emulator.AnswerNextWith(loop);

        var error = await Assert.ThrowsAsync<PlatformApiException>(async () =>
        {
            await foreach (var page in client.GetFollowersAsync())
            {
                h.Emulator.AnswerNextWith(loop);
            }
        });

        Assert.Equal(Http.PlatformApiClient.RepeatedCursorCode, error.PlatformCode);
    }
}
