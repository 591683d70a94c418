using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Google;

namespace Marketing.Sdk.Platforms.Google.Tests;

public sealed class HashingTests
{
    [Fact]
    public void Gmail_dots_and_plus_tags_are_removed_before_hashing()
    {
        Assert.Equal("janedoe@gmail.com", PlatformHasher.Normalize(MatchField.Email, "Jane.Doe+promo@GMail.com", HashingProfile.Google));
        Assert.Equal(PlatformHasher.Sha256Hex("janedoe@gmail.com"), PlatformHasher.Hash(MatchField.Email, "Jane.Doe+promo@GMail.com", HashingProfile.Google));
        // other domains keep dots and tags
        Assert.Equal("jane.doe+promo@example.com", PlatformHasher.Normalize(MatchField.Email, "Jane.Doe+promo@Example.com", HashingProfile.Google));
    }

    [Fact]
    public void National_phone_numbers_get_the_country_calling_code_in_E164_with_plus()
    {
        Assert.Equal("+18005550100", GoogleMatchData.NormalizePhone("(800)555-0100", "US"));
        Assert.Equal("+18005550100", GoogleMatchData.NormalizePhone("+1 (800) 555-0100", "GB"));
        Assert.Equal("+442079460958", GoogleMatchData.NormalizePhone("020 7946 0958", "gb"));
        // without a country the digits are read as including the country code
        Assert.Equal("+18005550100", GoogleMatchData.NormalizePhone("1 (800)555-0100"));
        // Google's documented example digest of +18005550100 (Data Manager "Format user data")
        Assert.Equal("fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30", GoogleMatchData.HashPhone("(800)555-0100", "US"));
    }

    [Fact]
    public void WithE164Phone_rewrites_only_the_phone()
    {
        var data = new CustomerMatchData { Email = "a@b.com", Phone = "(800)555-0100", Country = "US" };
        var rewritten = GoogleMatchData.WithE164Phone(data);
        Assert.Equal("+18005550100", rewritten.Phone);
        Assert.Equal("a@b.com", rewritten.Email);
        var noPhone = data with { Phone = null };
        Assert.Same(noPhone, GoogleMatchData.WithE164Phone(noPhone));
    }

    [Fact]
    public void An_existing_digest_is_passed_through_lower_cased()
    {
        var digest = PlatformHasher.Sha256Hex("+18005550100");
        Assert.Equal(digest, GoogleMatchData.HashPhone(digest.ToUpperInvariant(), "US"));
    }
}
