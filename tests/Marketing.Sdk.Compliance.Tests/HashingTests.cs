using FsCheck;
using FsCheck.Fluent;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Compliance.Tests;

public sealed class HashingTests
{
    [Fact]
    public void Meta_documented_examples()
    {
        // Meta customer information parameters: email and phone examples.
        Assert.Equal("62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f", PlatformHasher.Hash(MatchField.Email, "John_Smith@gmail.com", HashingProfile.Meta));
        Assert.Equal("16505551212", PlatformHasher.Normalize(MatchField.Phone, "+1 (650) 555-1212", HashingProfile.Meta));
        Assert.Equal("e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176", PlatformHasher.Hash(MatchField.Phone, "(1)650-555-1212", HashingProfile.Meta));
        Assert.Equal("valéry", PlatformHasher.Normalize(MatchField.FirstName, " Valéry ", HashingProfile.Meta));
        Assert.Equal("08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c", PlatformHasher.Hash(MatchField.FirstName, "Valéry", HashingProfile.Meta));
        Assert.Equal("maryann", PlatformHasher.Normalize(MatchField.LastName, "Mary-Ann", HashingProfile.Meta));
        Assert.Equal("정", PlatformHasher.Normalize(MatchField.FirstName, "정", HashingProfile.Meta));
        Assert.Equal("sanfrancisco", PlatformHasher.Normalize(MatchField.City, "San Francisco", HashingProfile.Meta));
        Assert.Equal("94035", PlatformHasher.Normalize(MatchField.Zip, "94035-1234", HashingProfile.Meta));
        Assert.Equal("us", PlatformHasher.Normalize(MatchField.Country, "US", HashingProfile.Meta));
        Assert.Equal("f", PlatformHasher.Normalize(MatchField.Gender, "Female", HashingProfile.Meta));
        Assert.Equal("19970216", PlatformHasher.Normalize(MatchField.DateOfBirth, "1997-02-16", HashingProfile.Meta));
    }

    [Fact]
    public void Google_documented_examples()
    {
        // Data Manager API "Format user data".
        Assert.Equal("cloudysanfrancisco@gmail.com", PlatformHasher.Normalize(MatchField.Email, "cloudy.sanfrancisco+shopping@gmail.com", HashingProfile.Google));
        Assert.Equal("user.name+nyc@example.com", PlatformHasher.Normalize(MatchField.Email, "user.name+NYC@Example.com", HashingProfile.Google));
        Assert.Equal("cloudysanfrancisco@googlemail.com", PlatformHasher.Normalize(MatchField.Email, " Cloudy.SanFrancisco@googlemail.com ", HashingProfile.Google));
        Assert.Equal("223ebda6f6889b1494551ba902d9d381daf2f642bae055888e96343d53e9f9c4", PlatformHasher.Hash(MatchField.Email, "cloudy.sanfrancisco+shopping@gmail.com", HashingProfile.Google));
        Assert.Equal("+18005550100", PlatformHasher.Normalize(MatchField.Phone, "+1 (800)555-0100", HashingProfile.Google));
        Assert.Equal("fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30", PlatformHasher.Hash(MatchField.Phone, "1 (800)555-0100", HashingProfile.Google));
        // Country and postal code are sent unhashed.
        Assert.Equal("US", PlatformHasher.Prepare(MatchField.Country, " us ", HashingProfile.Google));
        Assert.Equal("94035", PlatformHasher.Prepare(MatchField.Zip, "94035", HashingProfile.Google));
        Assert.Equal(64, PlatformHasher.Prepare(MatchField.FirstName, "Mrs Jane", HashingProfile.Google).Length);
    }

    [Fact]
    public void Profiles_differ_where_the_platforms_differ()
    {
        const string email = "first.last+promo@gmail.com";
        Assert.NotEqual(PlatformHasher.Hash(MatchField.Email, email, HashingProfile.Meta), PlatformHasher.Hash(MatchField.Email, email, HashingProfile.Google));
        Assert.Equal("first.last+promo@gmail.com", PlatformHasher.Normalize(MatchField.Email, email, HashingProfile.TikTok));
        Assert.Equal("+8613812345678", PlatformHasher.Normalize(MatchField.Phone, "+86 138-1234-5678", HashingProfile.TikTok));
        Assert.Equal("8613812345678", PlatformHasher.Normalize(MatchField.Phone, "+86 138-1234-5678", HashingProfile.Meta));
        Assert.Equal("8613812345678", PlatformHasher.Normalize(MatchField.Phone, "0086 138 1234 5678", HashingProfile.Meta));
        Assert.Equal("user-42", PlatformHasher.Normalize(MatchField.ExternalId, " USER-42 ", HashingProfile.TikTok));
    }

    [Fact]
    public void Never_double_hashes_a_digest()
    {
        var digest = PlatformHasher.Hash(MatchField.Email, "a@b.co", HashingProfile.Meta);
        Assert.Equal(digest, PlatformHasher.Hash(MatchField.Email, digest, HashingProfile.Meta));
        Assert.Equal(digest, PlatformHasher.Hash(MatchField.Phone, digest.ToUpperInvariant(), HashingProfile.Google));
        Assert.True(PlatformHasher.IsSha256Hex(digest));
        Assert.False(PlatformHasher.IsSha256Hex(digest[..63] + "g"));
    }

    [Theory]
    [InlineData(MatchField.Email, "not-an-email")]
    [InlineData(MatchField.Email, "a@b")]
    [InlineData(MatchField.Phone, "12345")]
    [InlineData(MatchField.Country, "China")]
    [InlineData(MatchField.Gender, "x")]
    [InlineData(MatchField.DateOfBirth, "1990-02-30")]
    [InlineData(MatchField.FirstName, "  ")]
    public void Invalid_values_are_rejected_without_echoing_them(MatchField field, string value)
    {
        var ex = Assert.ThrowsAny<ComplianceException>(() => PlatformHasher.Hash(field, value, HashingProfile.Meta));
        if (value.Trim().Length > 0)
        {
            Assert.DoesNotContain(value, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Hashes_are_64_lower_hex_and_normalisation_is_idempotent()
    {
        var gen = Gen.Elements("Alice.Smith+x@GMail.com", "bob@example.org", "Z@z.cn").SelectMany(e => Gen.Elements(HashingProfile.Meta, HashingProfile.Google, HashingProfile.TikTok).Select(p => (e, p)));
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var normalized = PlatformHasher.Normalize(MatchField.Email, t.e, t.p);
            var hash = PlatformHasher.Hash(MatchField.Email, t.e, t.p);
            return normalized == PlatformHasher.Normalize(MatchField.Email, normalized, t.p)
                && hash.Length == 64 && hash.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')
                && hash == PlatformHasher.Hash(MatchField.Email, normalized, t.p);
        }).QuickCheckThrowOnFailure();
    }
}
