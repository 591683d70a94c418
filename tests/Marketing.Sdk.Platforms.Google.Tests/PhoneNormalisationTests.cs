using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Delivery;
using PhoneNumbers;

namespace Marketing.Sdk.Platforms.Google.Tests;

public sealed class PhoneNormalisationTests
{
    [Fact]
    public void Every_region_hashes_a_phone_the_same_for_Google_audiences_and_conversions()
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
            var expected = PlatformHasher.Sha256Hex(phones.Format(example, PhoneNumberFormat.E164));
            var conversion = ConversionPublisher.Prepare(new ConversionRequest
            {
                EventId = "e", EventType = EventType.Purchase, OccurredAt = DateTimeOffset.UnixEpoch, CustomerId = new CustomerId("c"),
                Customer = new CustomerMatchData { Phone = national, Country = region },
            }, HashingProfile.Google).Get(MatchField.Phone);
            if (GoogleMatchData.HashPhone(national, region) != expected || conversion != expected)
            {
                failures.Add(region);
            }
        }
        Assert.Empty(failures);
    }
}
