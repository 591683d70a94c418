using Marketing.Sdk.Compliance.Pii;
using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Compliance.Tests;

public sealed class PiiTests
{
    [Theory]
    [InlineData("13812345678", "138****5678")]
    [InlineData("+86 138 1234 5678", "138****5678")]
    [InlineData("12", "****")]
    public void Masks_phones(string phone, string expected) => Assert.Equal(expected, PiiMasking.MaskPhone(phone));

    [Fact]
    public void Masks_emails_and_names()
    {
        Assert.Equal("j***@example.com", PiiMasking.MaskEmail("john@example.com"));
        Assert.Equal("***", PiiMasking.MaskEmail("nonsense"));
        Assert.Equal("Z**", PiiMasking.MaskName("Zoe"));
        Assert.Equal("张**", PiiMasking.MaskName("张三丰"));
        Assert.Equal("*", PiiMasking.MaskName("李"));
    }

    [Fact]
    public void Redactors_are_registered_per_classification()
    {
        var services = new ServiceCollection();
        services.AddRedaction(b => b.AddMarketingRedactors());
        using var provider = services.BuildServiceProvider();
        var redactors = provider.GetRequiredService<IRedactorProvider>();
        Assert.Equal("138****5678", redactors.GetRedactor(MaskedDataClassifications.Phone).Redact("13812345678"));
        Assert.Equal("j***@example.com", redactors.GetRedactor(MaskedDataClassifications.Email).Redact("john@example.com"));
        Assert.Equal("Z**", redactors.GetRedactor(MaskedDataClassifications.PersonName).Redact("Zoe"));
        Assert.Equal("", redactors.GetRedactor(MarketingDataTaxonomy.PersonalData).Redact("1.2.3.4"));
        Assert.Equal("", redactors.GetRedactor(MarketingDataTaxonomy.SensitiveData).Redact("O+"));
    }

    private static InMemoryKeyProvider Keys() => new InMemoryKeyProvider()
        .Add(Pseudonymizer.KeyPurpose, new KeyMaterial("k1", Enumerable.Repeat((byte)1, 32).ToArray()))
        .Add(FieldEncryptor.KeyPurpose, new KeyMaterial("e1", Enumerable.Repeat((byte)7, 32).ToArray()));

    [Fact]
    public void Pseudonyms_are_keyed_stable_and_survive_rotation()
    {
        var keys = Keys();
        var p = new Pseudonymizer(keys);
        var first = p.Pseudonymize("13812345678");
        Assert.StartsWith("k1:", first);
        Assert.Equal(first, p.Pseudonymize("13812345678"));
        Assert.NotEqual(first, p.Pseudonymize("13812345679"));
        Assert.DoesNotContain(PlatformHashOf("13812345678"), first);
        keys.Add(Pseudonymizer.KeyPurpose, new KeyMaterial("k2", Enumerable.Repeat((byte)2, 32).ToArray()));
        var second = p.Pseudonymize("13812345678");
        Assert.StartsWith("k2:", second);
        Assert.True(p.Matches("13812345678", first));
        Assert.True(p.Matches("13812345678", second));
        Assert.False(p.Matches("13812345670", first));
        Assert.False(p.Matches("13812345678", "k9:00"));
    }

    private static string PlatformHashOf(string value) => Hashing.PlatformHasher.Sha256Hex(value);

    [Fact]
    public void Field_encryption_round_trips_and_detects_tampering()
    {
        var keys = Keys();
        var enc = new FieldEncryptor(keys);
        var c1 = enc.Encrypt("上海市浦东新区", "c_1/address");
        Assert.StartsWith("v1:e1:", c1);
        Assert.NotEqual(c1, enc.Encrypt("上海市浦东新区", "c_1/address"));
        Assert.Equal("上海市浦东新区", enc.Decrypt(c1, "c_1/address"));
        Assert.Throws<ComplianceException>(() => enc.Decrypt(c1, "c_2/address"));
        var bytes = Convert.FromBase64String(c1.Split(':')[2]);
        bytes[^1] ^= 1;
        Assert.Throws<ComplianceException>(() => enc.Decrypt("v1:e1:" + Convert.ToBase64String(bytes), "c_1/address"));
        keys.Add(FieldEncryptor.KeyPurpose, new KeyMaterial("e2", Enumerable.Repeat((byte)9, 32).ToArray()));
        Assert.Equal("上海市浦东新区", enc.Decrypt(c1, "c_1/address"));
        Assert.StartsWith("v1:e2:", enc.Encrypt("x"));
        Assert.Throws<ComplianceException>(() => enc.Decrypt("v1:zz:AAAA"));
    }
}
