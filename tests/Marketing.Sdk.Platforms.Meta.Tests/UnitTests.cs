using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.Meta.Tests;

public sealed class HashingTests
{
    private static string Sha256(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public void Email_follows_Metas_documented_example()
    {
        // Customer information parameters: John_Smith@gmail.com → john_smith@gmail.com → 62a14e44…
        var hash = PlatformHasher.Hash(MatchField.Email, "John_Smith@gmail.com", HashingProfile.Meta);
        Assert.Equal(Sha256("john_smith@gmail.com"), hash);
        Assert.StartsWith("62a14e44", hash, StringComparison.Ordinal);
    }

    [Fact]
    public void Phone_follows_Metas_documented_example_with_the_country_code_completed()
    {
        // (650)555-1212 in the US → 16505551212 (country code, no '+') → e323ec62…
        Assert.Equal("16505551212", MetaMatching.NormalizePhone("(650)555-1212", "US"));
        var hash = MetaMatching.HashPhone("(650)555-1212", "US");
        Assert.Equal(Sha256("16505551212"), hash);
        Assert.StartsWith("e323ec62", hash, StringComparison.Ordinal);
        // Already international: the same digits whatever the country says.
        Assert.Equal("16505551212", MetaMatching.NormalizePhone("+1 (650) 555-1212", "GB"));
        Assert.Equal("16505551212", MetaMatching.NormalizePhone("1-650-555-1212", "US"));
        Assert.Equal(hash, PlatformHasher.Hash(MatchField.Phone, "+1 (650) 555-1212", HashingProfile.Meta));
    }

    [Theory]
    [InlineData("020 7946 0958", "GB", "442079460958")]
    [InlineData("0044 20 7946 0958", "DE", "442079460958")]
    [InlineData("13800138000", "CN", "8613800138000")]
    [InlineData("8613800138000", "CN", "8613800138000")]
    [InlineData("06 1234 5678", "IT", "390612345678")]
    [InlineData("030 1234567", "DE", "49301234567")]
    [InlineData("6505551212", null, "6505551212")]
    public void National_numbers_get_the_country_calling_code(string raw, string? country, string expected) =>
        Assert.Equal(expected, MetaMatching.NormalizePhone(raw, country));

    [Fact]
    public void App_secret_proof_is_hmac_sha256_of_the_token_keyed_by_the_secret()
    {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        Assert.Equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            MetaPlatformClient.ComputeAppSecretProof("what do ya want for nothing?", "Jefe"));
    }

    [Theory]
    [InlineData("purchase", "Purchase")]
    [InlineData("add_to_cart", "AddToCart")]
    [InlineData("begin_checkout", "InitiateCheckout")]
    [InlineData("product_view", "ViewContent")]
    [InlineData("sign_up", "CompleteRegistration")]
    [InlineData("search", "Search")]
    [InlineData("refund", "refund")]
    [InlineData("share", "share")]
    public void Event_types_map_to_Meta_event_names(string type, string name) => Assert.Equal(name, MetaMatching.EventName(type));

    [Fact]
    public void Prepared_conversion_maps_to_user_data_and_custom_data()
    {
        var prepared = Conversions.Prepared(Conversions.Purchase("e1", new DateTimeOffset(2026, 3, 10, 11, 0, 0, TimeSpan.Zero)));
        var e = MetaPlatformClient.ToEvent(prepared);
        Assert.Equal("Purchase", e.EventName);
        Assert.Equal("website", e.ActionSource);
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 11, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), e.EventTime);
        Assert.Equal(Sha256("john_smith@gmail.com"), e.UserData.Em);
        Assert.Equal(Sha256("16505551212"), e.UserData.Ph);
        Assert.Equal(Sha256("john"), e.UserData.Fn);
        Assert.Equal(Sha256("menlopark"), e.UserData.Ct);
        Assert.Equal(Sha256("ca"), e.UserData.St);
        Assert.Equal(Sha256("94025"), e.UserData.Zp);
        Assert.Equal(Sha256("us"), e.UserData.Country);
        Assert.Equal(Sha256("19900203"), e.UserData.Db);
        Assert.Equal(Sha256("m"), e.UserData.Ge);
        Assert.Equal(Sha256("member-77"), e.UserData.ExternalId);
        Assert.Equal("203.0.113.7", e.UserData.ClientIpAddress);
        Assert.Equal("fb.1.1554763741205.AbCdEf", e.UserData.Fbc);
        Assert.Equal(42.5m, e.CustomData!.Value);
        Assert.Equal("USD", e.CustomData.Currency);
        Assert.Equal("order-e1", e.CustomData.OrderId);
        Assert.Equal(2, e.CustomData.Contents!.Count);
        Assert.Equal(3, e.CustomData.NumItems);
    }

    [Theory]
    [InlineData(ConversionSource.Website, "website")]
    [InlineData(ConversionSource.App, "app")]
    [InlineData(ConversionSource.PhysicalStore, "physical_store")]
    [InlineData(ConversionSource.Crm, "system_generated")]
    [InlineData(ConversionSource.Chat, "chat")]
    [InlineData(ConversionSource.PhoneCall, "phone_call")]
    [InlineData(ConversionSource.Other, "other")]
    public void Conversion_sources_map_to_action_source(ConversionSource source, string expected) =>
        Assert.Equal(expected, MetaPlatformClient.ActionSource(source));

    [Fact]
    public void Audience_payload_uses_the_single_key_form_for_email_only_and_the_multi_key_form_otherwise()
    {
        var h = new string('a', 64);
        var single = MetaPlatformClient.AudiencePayload([0], [[h, null, null, null, null, null, null, null, null, null, null, null, null]]);
        Assert.Equal($"{{\"schema\":\"EMAIL_SHA256\",\"data\":[\"{h}\"]}}", single);
        var multi = MetaPlatformClient.AudiencePayload([0, 1], [[h, null, null, null, null, null, null, null, null, null, null, null, null]]);
        Assert.Equal($"{{\"schema\":[\"EMAIL\",\"PHONE\"],\"data\":[[\"{h}\",\"\"]]}}", multi);
    }
}

public sealed class ErrorClassificationTests
{
    [Theory]
    [InlineData(1, PlatformErrorClass.Transient)]
    [InlineData(2, PlatformErrorClass.Transient)]
    [InlineData(4, PlatformErrorClass.RateLimited)]
    [InlineData(17, PlatformErrorClass.RateLimited)]
    [InlineData(32, PlatformErrorClass.RateLimited)]
    [InlineData(613, PlatformErrorClass.RateLimited)]
    [InlineData(80000, PlatformErrorClass.RateLimited)]
    [InlineData(80004, PlatformErrorClass.RateLimited)]
    [InlineData(80014, PlatformErrorClass.RateLimited)]
    [InlineData(80015, PlatformErrorClass.Permanent)]
    [InlineData(190, PlatformErrorClass.AuthenticationExpired)]
    [InlineData(102, PlatformErrorClass.AuthenticationExpired)]
    [InlineData(10, PlatformErrorClass.Unauthorized)]
    [InlineData(200, PlatformErrorClass.Unauthorized)]
    [InlineData(294, PlatformErrorClass.Unauthorized)]
    [InlineData(299, PlatformErrorClass.Unauthorized)]
    [InlineData(100, PlatformErrorClass.Permanent)]
    [InlineData(2500, PlatformErrorClass.Permanent)]
    public void Codes_are_classified(int code, PlatformErrorClass expected) => Assert.Equal(expected, MetaErrors.ClassifyCode(code, "OAuthException", null));

    private static PlatformResponse Response(HttpStatusCode status, string body, params (string Name, string Value)[] headers)
    {
        using var message = new HttpResponseMessage(status);
        foreach (var (name, value) in headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        return new PlatformResponse(status, message.Headers, Encoding.UTF8.GetBytes(body));
    }

    [Fact]
    public void The_error_body_decides_not_the_status()
    {
        var ok = Response(HttpStatusCode.OK, "{\"events_received\":1}");
        Assert.Null(MetaErrors.Classify(ok, null, TimeSpan.Zero));

        var expired = MetaErrors.Classify(Response(HttpStatusCode.BadRequest, "{\"error\":{\"message\":\"Session has expired\",\"type\":\"OAuthException\",\"code\":190,\"error_subcode\":463,\"fbtrace_id\":\"T1\"}}"), null, TimeSpan.Zero)!;
        Assert.Equal(PlatformErrorClass.AuthenticationExpired, expired.ErrorClass);
        Assert.Equal("190", expired.PlatformCode);
        Assert.Equal("463", expired.PlatformSubCode);
        Assert.Equal("T1", expired.RequestId);

        var noCode = MetaErrors.Classify(Response(HttpStatusCode.BadRequest, "{\"error\":{\"message\":\"x\",\"type\":\"OAuthException\"}}"), null, TimeSpan.Zero)!;
        Assert.Equal(PlatformErrorClass.AuthenticationExpired, noCode.ErrorClass);

        var invalid = MetaErrors.Classify(Response(HttpStatusCode.BadRequest, "{\"error\":{\"message\":\"Invalid parameter\",\"type\":\"OAuthException\",\"code\":100}}"), null, TimeSpan.Zero)!;
        Assert.Equal(PlatformErrorClass.Permanent, invalid.ErrorClass);
        Assert.False(invalid.IsRetryable);

        Assert.True(MetaErrors.IsAboutTheEvents(invalid));
        var unknownObject = MetaErrors.Classify(Response(HttpStatusCode.BadRequest, "{\"error\":{\"message\":\"Unsupported post request.\",\"type\":\"GraphMethodException\",\"code\":100,\"error_subcode\":33}}"), null, TimeSpan.Zero)!;
        Assert.Equal(PlatformErrorClass.Unauthorized, unknownObject.ErrorClass);
        var noProof = MetaErrors.Classify(Response(HttpStatusCode.BadRequest, "{\"error\":{\"message\":\"API calls from the server require an appsecret_proof argument\",\"type\":\"GraphMethodException\",\"code\":100}}"), null, TimeSpan.Zero)!;
        Assert.Equal(PlatformErrorClass.Permanent, noProof.ErrorClass);
        Assert.False(MetaErrors.IsAboutTheEvents(noProof));

        var unknownOn500 = MetaErrors.Classify(Response(HttpStatusCode.InternalServerError, "{\"error\":{\"message\":\"x\",\"code\":99999}}"), null, TimeSpan.Zero)!;
        Assert.Equal(PlatformErrorClass.Transient, unknownOn500.ErrorClass);

        var transientFlag = MetaErrors.Classify(Response(HttpStatusCode.BadRequest, "{\"error\":{\"message\":\"x\",\"code\":99999,\"is_transient\":true}}"), null, TimeSpan.Zero)!;
        Assert.Equal(PlatformErrorClass.Transient, transientFlag.ErrorClass);

        var bare502 = MetaErrors.Classify(Response(HttpStatusCode.BadGateway, "<html>bad gateway</html>"), null, TimeSpan.Zero)!;
        Assert.Equal(PlatformErrorClass.Transient, bare502.ErrorClass);
    }

    [Fact]
    public void Throttling_wait_hints_come_from_the_usage_headers()
    {
        var now = new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
        var body = "{\"error\":{\"message\":\"User request limit reached\",\"code\":17,\"error_subcode\":2446079}}";

        var buc = Response(HttpStatusCode.BadRequest, body, ("X-Business-Use-Case-Usage", "{\"555\":[{\"type\":\"ads_management\",\"call_count\":100,\"total_cputime\":20,\"total_time\":30,\"estimated_time_to_regain_access\":7}],\"556\":[{\"type\":\"ads_insights\",\"call_count\":5,\"total_cputime\":1,\"total_time\":1,\"estimated_time_to_regain_access\":0}]}"));
        var usage = MetaErrors.ReadUsage(buc.Headers, now)!;
        Assert.Equal(2, usage.BusinessUseCases.Count);
        Assert.Equal(100, usage.MaxPercent);
        Assert.Equal(TimeSpan.FromMinutes(7), MetaErrors.Classify(buc, usage, TimeSpan.FromMinutes(5))!.RetryAfter);

        var account = Response(HttpStatusCode.BadRequest, body, ("X-Ad-Account-Usage", "{\"acc_id_util_pct\":100,\"reset_time_duration\":90,\"ads_api_access_tier\":\"standard_access\"}"));
        var accountUsage = MetaErrors.ReadUsage(account.Headers, now)!;
        Assert.Equal(TimeSpan.FromSeconds(90), MetaErrors.Classify(account, accountUsage, TimeSpan.FromMinutes(5))!.RetryAfter);

        var app = Response(HttpStatusCode.BadRequest, "{\"error\":{\"message\":\"Application request limit reached\",\"code\":4}}", ("X-App-Usage", "{\"call_count\":100,\"total_cputime\":12,\"total_time\":40}"));
        var appUsage = MetaErrors.ReadUsage(app.Headers, now)!;
        Assert.True(appUsage.AppQuotaExhausted);
        var appError = MetaErrors.Classify(app, appUsage, TimeSpan.FromMinutes(5))!;
        Assert.Equal(PlatformErrorClass.RateLimited, appError.ErrorClass);
        Assert.Equal(TimeSpan.FromMinutes(5), appError.RetryAfter);

        var none = Response(HttpStatusCode.BadRequest, body);
        Assert.Null(MetaErrors.ReadUsage(none.Headers, now));
        Assert.Null(MetaErrors.Classify(none, null, TimeSpan.FromMinutes(5))!.RetryAfter);

        var garbage = Response(HttpStatusCode.OK, "{}", ("X-App-Usage", "not json"));
        Assert.Null(MetaErrors.ReadUsage(garbage.Headers, now)!.AppCallCount);
    }
}

public sealed class OptionsTests
{
    [Fact]
    public void Options_are_validated_and_never_show_secrets()
    {
        var options = new MetaPlatformOptions { AccessToken = "EAAB-secret-token", AppSecret = "app-secret-value", PixelId = "123" };
        Assert.Empty(options.GetValidationErrors());
        var text = options.ToString();
        Assert.DoesNotContain("EAAB-secret-token", text, StringComparison.Ordinal);
        Assert.DoesNotContain("app-secret-value", text, StringComparison.Ordinal);

        var bad = new MetaPlatformOptions { ApiVersion = "25", PixelId = "pixel", ConversionBatchSize = 1001, AudienceBatchSize = 10_001, AccountCurrency = "XYZ" };
        var errors = bad.GetValidationErrors().ToList();
        Assert.Contains(errors, e => e.Contains(nameof(MetaPlatformOptions.AccessToken), StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(nameof(MetaPlatformOptions.ApiVersion), StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(nameof(MetaPlatformOptions.PixelId), StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(nameof(MetaPlatformOptions.ConversionBatchSize), StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(nameof(MetaPlatformOptions.AudienceBatchSize), StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(nameof(MetaPlatformOptions.AccountCurrency), StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new MetaPlatformClient(() => new HttpClient(), new Auth.StaticAccessTokenProvider(() => "t"), bad, AllowAllGate.Instance));
    }

    [Fact]
    public void Budget_limiter_counts_a_rolling_hour_and_gives_slots_back()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        var limiter = new BudgetChangeLimiter(4, time);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(limiter.TryAcquire("1", out _, out _));
            time.Advance(TimeSpan.FromMinutes(10));
        }
        Assert.False(limiter.TryAcquire("1", out _, out var next));
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 13, 0, 0, TimeSpan.Zero), next);
        Assert.True(limiter.TryAcquire("2", out var slot, out _));
        limiter.Release("2", slot);
        Assert.Equal(0, limiter.Count("2"));
        time.Advance(TimeSpan.FromMinutes(20)); // 12:60 → the 12:00 change has left the window
        Assert.True(limiter.TryAcquire("1", out _, out _));
    }
}
