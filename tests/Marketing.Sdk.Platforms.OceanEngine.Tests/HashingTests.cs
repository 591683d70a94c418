using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.OceanEngine.Tests;

public sealed class HashingTests
{
    [Theory]
    [InlineData("13500000000")]
    [InlineData("+86 135 0000 0000")]
    [InlineData("0086-135-0000-0000")]
    [InlineData("8613500000000")]
    public void A_mainland_mobile_in_any_notation_hashes_to_the_sha256_of_its_11_digits(string phone)
    {
        Assert.Equal(Data.PhoneSha256, OceanEngineHashing.Sha256Phone(phone));
    }

    [Theory]
    [InlineData("+1 415 555 0100")]
    [InlineData("23500000000")]
    [InlineData("12345")]
    [InlineData("phone")]
    public void A_number_that_is_not_a_mainland_mobile_is_refused(string phone)
    {
        Assert.Throws<MatchNormalizationException>(() => OceanEngineHashing.Sha256Phone(phone));
    }

    [Fact]
    public void Device_ids_and_the_file_signature_are_lower_case_md5()
    {
        Assert.Equal("ac3fa6834cfa0e390d82a6ee21df57e1", OceanEngineHashing.Md5Imei("864690021234567"));
        Assert.Equal(OceanEngineHashing.Md5Imei("ABCDEF"), OceanEngineHashing.Md5Imei("abcdef"));
        Assert.Equal("4dbeaa3acd2620411c7ba4fd78bb32d0", OceanEngineHashing.Md5Hex("13500000000"u8));
        Assert.True(OceanEngineHashing.IsLowerSha256(Data.PhoneSha256));
        Assert.False(OceanEngineHashing.IsLowerSha256(Data.PhoneSha256.ToUpperInvariant()));
    }

    [Fact]
    public void The_client_prepares_only_the_phone_and_drops_fields_Ocean_Engine_has_no_key_for()
    {
        var client = new OceanEnginePlatformClient(() => new HttpClient(), new Auth.StaticAccessTokenProvider(() => "t"), new OceanEnginePlatformOptions { AccessToken = "t" }, new AllowAll());

        Assert.Equal(Data.PhoneSha256, client.Prepare(MatchField.Phone, "+8613500000000", "CN"));
        Assert.Equal(Data.PhoneSha256, client.Prepare(MatchField.Phone, Data.PhoneSha256, null));
        Assert.Throws<MatchNormalizationException>(() => client.Prepare(MatchField.Email, "a@b.c", null));
        Assert.Equal(HashingPlatform.OceanEngine, client.Hashing.Platform);
    }
}
