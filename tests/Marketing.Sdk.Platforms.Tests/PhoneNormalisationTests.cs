using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Delivery;
using PhoneNumbers;

namespace Marketing.Sdk.Platforms.Tests;

/// <summary>One phone normaliser for every path: over every region libphonenumber knows, a national number hashes the same on every path of every platform.</summary>
public sealed class PhoneNormalisationTests
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    internal static IEnumerable<(string Region, string National, string E164)> Examples()
    {
        foreach (var region in Phones.GetSupportedRegions().Order(StringComparer.Ordinal))
        {
            foreach (var type in new[] { PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE })
            {
                var example = Phones.GetExampleNumberForType(region, type);
                if (example is null)
                {
                    continue;
                }
                yield return (region, Phones.Format(example, PhoneNumberFormat.NATIONAL), Phones.Format(example, PhoneNumberFormat.E164));
            }
        }
    }

    private static ConversionRequest Conversion(string phone, string region) => new()
    {
        EventId = "e", EventType = EventType.Purchase, OccurredAt = DateTimeOffset.UnixEpoch, CustomerId = new CustomerId("c"),
        Customer = new CustomerMatchData { Phone = phone, Country = region },
    };

    [Fact]
    public void Every_region_hashes_a_national_number_as_its_E164_form_on_the_conversion_and_audience_paths_of_every_platform()
    {
        var checkedNumbers = 0;
        var failures = new List<string>();
        foreach (var (region, national, e164) in Examples())
        {
            foreach (var (profile, expected) in new[] { (HashingProfile.Meta, e164[1..]), (HashingProfile.Google, e164), (HashingProfile.TikTok, e164) })
            {
                var want = PlatformHasher.Sha256Hex(expected);
                var conversion = ConversionPublisher.Prepare(Conversion(national, region), profile).Get(MatchField.Phone);
                var audience = MatchDataNormalization.HashPhone(national, region, profile);
                var international = MatchDataNormalization.HashPhone(e164, null, profile);
                if (conversion != want || audience != want || international != want)
                {
                    failures.Add($"{region} {profile.Platform}");
                }
                checkedNumbers++;
            }
        }
        Assert.True(checkedNumbers > 600, $"only {checkedNumbers} numbers checked");
        Assert.Empty(failures);
    }

    [Fact]
    public void A_russian_number_with_its_trunk_prefix_is_the_same_for_conversions_and_audiences()
    {
        var expected = PlatformHasher.Sha256Hex("79123456789");
        Assert.Equal(expected, ConversionPublisher.Prepare(Conversion("8 912 345-67-89", "RU"), HashingProfile.Meta).Get(MatchField.Phone));
        Assert.Equal(expected, MatchDataNormalization.HashPhone("8 912 345-67-89", "RU", HashingProfile.Meta));
    }
}
