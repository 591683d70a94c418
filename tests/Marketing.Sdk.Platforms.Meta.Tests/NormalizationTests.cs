using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Delivery;
using PhoneNumbers;

namespace Marketing.Sdk.Platforms.Meta.Tests;

/// <summary>Meta's normalisation against the official Meta Business SDK (facebook-nodejs-business-sdk ServerSideUtils, facebook-python-business-sdk normalize.py).</summary>
public sealed class NormalizationTests
{
    [Theory]
    [InlineData(MatchField.Zip, "94025", "94025")]
    [InlineData(MatchField.Zip, " 94025-1234 ", "94025")]
    [InlineData(MatchField.Zip, "SW1A 1AA", "sw1a1aa")]
    [InlineData(MatchField.Gender, "Female", "f")]
    [InlineData(MatchField.Gender, " M ", "m")]
    [InlineData(MatchField.Gender, "f.", "f")]
    [InlineData(MatchField.City, "Menlo Park", "menlopark")]
    [InlineData(MatchField.City, "St. Louis (MO)", "stlouismo")]
    [InlineData(MatchField.State, "CA", "ca")]
    [InlineData(MatchField.FirstName, "Mary Ann", "mary ann")]
    [InlineData(MatchField.LastName, " O'Neil-Smith ", "oneilsmith")]
    [InlineData(MatchField.FirstName, "Valéry", "valéry")]
    public void Fields_normalise_as_the_official_SDK_does(MatchField field, string raw, string normalised)
    {
        Assert.Equal(normalised, MetaNormalization.Normalize(field, raw));
        Assert.Equal(PlatformHasher.Sha256Hex(normalised), MetaNormalization.Instance.Prepare(field, raw, null));
    }

    [Theory]
    [InlineData(MatchField.Zip, "1")]
    [InlineData(MatchField.Zip, "-123")]
    [InlineData(MatchField.Gender, "Woman")]
    [InlineData(MatchField.Gender, "man")]
    [InlineData(MatchField.Gender, "x")]
    public void Values_the_official_SDK_drops_are_dropped(MatchField field, string raw) =>
        Assert.Throws<MatchNormalizationException>(() => MetaNormalization.Instance.Prepare(field, raw, null));

    [Fact]
    public void The_audience_row_and_the_conversion_use_the_same_rules()
    {
        var match = new CustomerMatchData { FirstName = "Mary Ann", Zip = "1", Gender = "Woman", City = "Menlo Park", Email = "a@example.com" };
        var row = new string?[MetaMatching.AudienceKeys.Length];
        MetaMatching.PrepareAudienceRow(match, row);
        var conversion = ConversionPublisher.Prepare(new ConversionRequest
        {
            EventId = "e", EventType = EventType.Purchase, OccurredAt = DateTimeOffset.UnixEpoch, CustomerId = new CustomerId("c"), Customer = match,
        }, HashingProfile.Meta, null, MetaNormalization.Instance);
        Assert.Equal(PlatformHasher.Sha256Hex("mary ann"), row[2]);
        Assert.Equal(row[2], conversion.Get(MatchField.FirstName));
        Assert.Null(row[4]);
        Assert.Null(conversion.Get(MatchField.Zip));
        Assert.Null(row[11]);
        Assert.Null(conversion.Get(MatchField.Gender));
        Assert.Equal(row[5], conversion.Get(MatchField.City));
    }

    [Fact]
    public void Every_region_hashes_a_phone_the_same_for_Meta_audiences_and_conversions()
    {
        var phones = PhoneNumberUtil.GetInstance();
        var failures = new List<string>();
        foreach (var region in phones.GetSupportedRegions())
        {
            var example = phones.GetExampleNumber(region);
            if (example is null)
            {
                continue;
            }
            var national = phones.Format(example, PhoneNumberFormat.NATIONAL);
            var expected = PlatformHasher.Sha256Hex(phones.Format(example, PhoneNumberFormat.E164)[1..]);
            var row = new string?[MetaMatching.AudienceKeys.Length];
            MetaMatching.PrepareAudienceRow(new CustomerMatchData { Phone = national, Country = region }, row);
            var conversion = ConversionPublisher.Prepare(new ConversionRequest
            {
                EventId = "e", EventType = EventType.Purchase, OccurredAt = DateTimeOffset.UnixEpoch, CustomerId = new CustomerId("c"),
                Customer = new CustomerMatchData { Phone = national, Country = region },
            }, HashingProfile.Meta, null, MetaNormalization.Instance).Get(MatchField.Phone);
            if (row[1] != expected || conversion != expected)
            {
                failures.Add(region);
            }
        }
        Assert.Empty(failures);
    }
}
