using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.TencentAds.Tests;

public sealed class HashingTests
{
    // Tencent's documented example: hash_phone = md5("13500000000"), the raw national number without country code.
    private const string Md5Of13500000000 = "4dbeaa3acd2620411c7ba4fd78bb32d0";

    [Theory]
    [InlineData("13500000000")]
    [InlineData("+8613500000000")]
    [InlineData("+86 135-0000-0000")]
    [InlineData("008613500000000")]
    [InlineData("8613500000000")]
    public void Hash_phone_is_the_md5_of_the_raw_national_number(string phone) =>
        Assert.Equal(Md5Of13500000000, TencentAdsHashing.HashPhone(phone));

    [Fact]
    public void The_sha256_and_md5_then_sha256_variants_match_independent_digests()
    {
        Assert.Equal("96b9962142efb461ae3034199c0f59f853f2855cbc82452018c98fcf561d9572", TencentAdsHashing.Sha256Phone("+86 13500000000"));
        // hash_imei: lower-case then MD5; md5_sha256_imei: SHA-256 of that lower-case hex MD5.
        Assert.Equal("c1b9e1c651c7aaab09204dc1875765ec", TencentAdsHashing.HashImei("860000000000000"));
        Assert.Equal("e708f24a9b5a8f125d881eb9eb65d35cf195731f9c80eb49e71c2ef7ffa74256", TencentAdsHashing.Md5Sha256Imei("860000000000000"));
        // hash_idfa: upper-case then MD5 (a lower-case IDFA hashes the same).
        Assert.Equal("40c7084b4845eebce9d07b8a18a055fc", TencentAdsHashing.HashIdfa("1e2dfa89-496a-47fd-9941-df1fc4e6484a"));
        Assert.Equal("b1c9d8898904db753804fafaf3000af5f6e382553684f262d2239ac9b4b176ff", TencentAdsHashing.Md5Sha256Idfa("1E2DFA89-496A-47FD-9941-DF1FC4E6484A"));
    }

    [Theory]
    [InlineData("call me")]
    [InlineData("12")]
    [InlineData("")]
    public void A_value_that_is_not_a_phone_is_refused(string phone) =>
        Assert.Throws<MatchNormalizationException>(() => TencentAdsHashing.HashPhone(phone));

    [Fact]
    public async Task The_publisher_prepares_the_phone_the_Tencent_way_and_drops_fields_Tencent_has_no_key_for()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();
        var dropped = new Dictionary<MatchField, int>();

        var prepared = Delivery.ConversionPublisher.Prepare(Data.Conversion("p1"), client.Hashing, dropped, client);

        Assert.Equal(HashingProfile.TencentAds, client.Hashing);
        Assert.Equal(Md5Of13500000000, prepared.Get(MatchField.Phone));
        Assert.Null(prepared.Get(MatchField.Email));
        Assert.Equal(1, dropped[MatchField.Email]);
    }
}
