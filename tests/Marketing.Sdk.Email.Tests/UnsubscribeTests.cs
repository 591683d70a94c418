using System.Text;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Tests.Sms;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Email.Tests;

public sealed class UnsubscribeTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 2, 0, 0, TimeSpan.Zero));

    private EmailUnsubscribeTokens Tokens(string secret = Harness.Secret) => new(secret, TimeSpan.FromDays(90), _time);

    [Fact]
    public void A_token_names_the_message_and_customer_until_it_expires()
    {
        var token = Tokens().Create("m0001", new CustomerId("c_alice"));

        var claim = Tokens().Verify(token);
        Assert.Equal(("m0001", new CustomerId("c_alice")), (claim!.MessageId, claim.CustomerId));
        _time.Advance(TimeSpan.FromDays(90) - TimeSpan.FromSeconds(1));
        Assert.NotNull(Tokens().Verify(token));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(Tokens().Verify(token));
    }

    [Fact]
    public void A_forged_or_altered_token_is_refused()
    {
        var token = Tokens().Create("m0001", new CustomerId("c_alice"));
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        var otherPayload = Convert.ToBase64String(Encoding.UTF8.GetBytes("m0001\nc_bob\n9999999999")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.Null(Tokens("another-secret-of-at-least-32-characters!!").Verify(token));
        Assert.Null(Tokens().Verify(otherPayload + token[dot..]));
        Assert.Null(Tokens().Verify(token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1]));
        Assert.Null(Tokens().Verify(token.Replace(".", "", StringComparison.Ordinal)));
        Assert.Null(Tokens().Verify("%%%.%%%"));
        Assert.Null(Tokens().Verify(null));
        Assert.Null(Tokens().Verify(new string('a', 5000)));
    }

    [Fact]
    public async Task Only_a_one_click_POST_with_a_valid_token_unsubscribes_and_a_GET_answers_a_confirmation_page()
    {
        var suppressions = new RecordingSuppressions();
        var options = Harness.Configure(new EmailOptions(), "smtp.example", 587, new Uri("https://shop.example/u"));
        var handler = new EmailUnsubscribeHandler(options, suppressions, _time);
        var token = Tokens().Create("m0001", new CustomerId("c_alice"));
        static PlatformCallbackRequest Request(string method, string? token, string body = "List-Unsubscribe=One-Click") => new(method,
            token is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["t"] = token },
            new Dictionary<string, string>(), Encoding.UTF8.GetBytes(body), "application/x-www-form-urlencoded");

        var get = await handler.HandleAsync(Request("GET", token, ""));
        var noBody = await handler.HandleAsync(Request("POST", token, "unsubscribe=yes"));
        var noToken = await handler.HandleAsync(Request("POST", null));
        var forged = await handler.HandleAsync(Request("POST", token + "x"));
        Assert.Empty(suppressions.Added);
        var post = await handler.HandleAsync(Request("POST", token));

        Assert.Equal(200, get.StatusCode);
        Assert.Contains("method=\"post\"", get.Body, StringComparison.Ordinal);
        Assert.Equal(400, noBody.StatusCode);
        Assert.Equal(403, noToken.StatusCode);
        Assert.Equal(403, forged.StatusCode);
        Assert.Equal(200, post.StatusCode);
        var entry = Assert.Single(suppressions.Added);
        Assert.Equal((new CustomerId("c_alice"), (Channel?)Channel.Email, SuppressionReason.Unsubscribed), (entry.CustomerId, entry.Channel, entry.Reason));
        Assert.Equal("email-unsubscribe", handler.Name);
    }
}
