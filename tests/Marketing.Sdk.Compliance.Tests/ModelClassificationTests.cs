using System.Reflection;
using System.Text.RegularExpressions;
using Marketing.Sdk.Compliance.Pii;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Compliance.Classification;

namespace Marketing.Sdk.Compliance.Tests;

public sealed partial class ModelClassificationTests
{
    // Names that mark personal data wherever they appear in the public model of Abstractions and Platforms.
    [GeneratedRegex("(email|phone|ip_?address|address|firstname|lastname|fullname|personname|dateofbirth|birth|gender|city|zip|postal|externalid|clickid|gclid|gbraid|wbraid|^fbc$|^fbp$|ttclid|^ttp$|useragent|identit|trait|statictags|dynamictags|consents$|subject|actor|session|coupon|orderid|payload|proof|region|customerid|survivor|^merged$|mergedfrom|^match$)", RegexOptions.IgnoreCase)]
    private static partial Regex PersonalName();

    // Types whose every property is personal data, and types that hold personal data wherever they are used.
    private static readonly Type[] PersonalTypes = [typeof(CustomerMatchData), typeof(ClickIdentifiers)];
    private static readonly Type[] PersonalValueTypes = [typeof(CustomerId), typeof(Identity), typeof(PropertyValue), typeof(CustomerMatchData), typeof(ClickIdentifiers)];

    // Properties whose name looks personal but which hold none, each with its reason.
    private static readonly (Type Type, string Property)[] NotPersonal =
    [
        (typeof(AudienceSyncResult), nameof(AudienceSyncResult.SessionId)), // the platform's upload session, not a visitor session
        (typeof(Platforms.Delivery.PublishResult), nameof(Platforms.Delivery.PublishResult.ClickIdsFilled)), // a count of conversions, not a click id
        (typeof(PlatformClientOptions), nameof(PlatformClientOptions.BaseAddress)), // the platform API's address
        (typeof(Platforms.Messaging.MessageTemplateParameter), nameof(Platforms.Messaging.MessageTemplateParameter.ProfileTrait)), // the name of a profile trait, not its value
        (typeof(Platforms.Sms.SmsMessageChannel), nameof(Platforms.Sms.SmsMessageChannel.AddressKinds)), // which identity kinds address a message, not an address
        (typeof(Platforms.Sms.SmsProviderOptions), nameof(Platforms.Sms.SmsProviderOptions.DefaultRegion)), // the region assumed for national numbers, configuration
        (typeof(Email.EmailChannel), nameof(Email.EmailChannel.AddressKinds)), // which identity kinds address a message, not an address
        (typeof(Email.EmailOptions), nameof(Email.EmailOptions.FromAddress)), // the shop's sender address, configuration
        (typeof(Email.EmailOptions), nameof(Email.EmailOptions.UnsubscribeMailto)), // the shop's unsubscribe mailbox, configuration
        (typeof(Email.EmailTemplateContent), nameof(Email.EmailTemplateContent.Subject)), // a template's subject line with placeholders, not a data subject
        (typeof(Content.Channels.EmailProfile), nameof(Content.Channels.EmailProfile.MaxSubject)), // a length limit of subject lines
    ];

    private static bool MarksPersonalData(PropertyInfo p)
    {
        if (NotPersonal.Contains((p.DeclaringType!, p.Name)))
        {
            return false;
        }

        var type = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
        bool Is(Type t) => type == t || (type.IsGenericType && type.GetGenericArguments().Any(a => a == t));
        return PersonalTypes.Contains(p.DeclaringType) || PersonalValueTypes.Any(Is) || PersonalName().IsMatch(p.Name);
    }

    private static IEnumerable<PropertyInfo> ModelProperties(Assembly assembly) =>
        assembly.GetExportedTypes()
            .Where(t => !t.IsInterface && !t.IsEnum && !typeof(Exception).IsAssignableFrom(t) && !typeof(Attribute).IsAssignableFrom(t)
                && !typeof(System.Text.Json.Serialization.JsonConverter).IsAssignableFrom(t)
                && !typeof(System.Text.Json.Serialization.JsonSerializerContext).IsAssignableFrom(t) && !(t.IsAbstract && t.IsSealed))
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract");

    public static TheoryData<string> ModelAssemblies() => new() { "Marketing.Sdk.Abstractions", "Marketing.Sdk.Platforms", "Marketing.Sdk.Email", "Marketing.Sdk.Campaigns", "Marketing.Sdk.Content" };

    // The channel packages have a small public model; the scan must still see it.
    // Content holds copy and briefs, never a person's data (the brief's texts pass a redacting filter before any prompt).
    private static int MinimumCandidates(string assemblyName) => assemblyName switch
    {
        "Marketing.Sdk.Content" => 0,
        "Marketing.Sdk.Email" or "Marketing.Sdk.Campaigns" => 1,
        _ => 20,
    };

    private static Assembly Load(string name) => name switch
    {
        "Marketing.Sdk.Abstractions" => typeof(MarketingEvent).Assembly,
        "Marketing.Sdk.Platforms" => typeof(ConversionRequest).Assembly,
        "Marketing.Sdk.Email" => typeof(Email.EmailChannel).Assembly,
        "Marketing.Sdk.Campaigns" => typeof(Campaigns.CampaignDefinition).Assembly,
        "Marketing.Sdk.Content" => typeof(Content.Generation.ContentBrief).Assembly,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(ModelAssemblies))]
    public void Every_public_model_property_that_holds_personal_data_is_classified(string assemblyName)
    {
        var candidates = ModelProperties(Load(assemblyName)).Where(MarksPersonalData).ToList();
        Assert.True(candidates.Count >= MinimumCandidates(assemblyName), $"Only {candidates.Count} candidates in {assemblyName}: the scan misses the model.");
        var missing = candidates
            .Where(p => ModelClassification.Of(p) == DataClassification.Unknown)
            .Select(p => $"{p.DeclaringType!.Name}.{p.Name}")
            .ToList();
        Assert.True(missing.Count == 0, "Not classified: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_scan_sees_the_match_data_and_click_ids()
    {
        var names = ModelProperties(typeof(ConversionRequest).Assembly).Where(MarksPersonalData).Select(p => $"{p.DeclaringType!.Name}.{p.Name}").ToHashSet();
        Assert.Contains("CustomerMatchData.Email", names);
        Assert.Contains("CustomerMatchData.Country", names);
        Assert.Contains("ClickIdentifiers.Gclid", names);
        Assert.Contains("ClickIdentifiers.ClientIpAddress", names);
        Assert.Contains("ClickIdentifiers.OceanEngineCallback", names);
        Assert.Contains("CapturedClick.Ids", names);
        Assert.Contains("PreparedConversion.Match", names);
        Assert.Contains("ConversionRequest.Clicks", names);
        Assert.DoesNotContain("AudienceSyncResult.SessionId", names);
        Assert.DoesNotContain("AdReportRow.Clicks", names);
    }

    [Theory]
    [InlineData(typeof(Identity), nameof(Identity.Value), "PersonalData")]
    [InlineData(typeof(CustomerProfile), nameof(CustomerProfile.Id), "Pseudonymous")]
    [InlineData(typeof(MarketingEvent), nameof(MarketingEvent.IpAddress), "PersonalData")]
    [InlineData(typeof(Order), nameof(Order.OrderId), "Pseudonymous")]
    [InlineData(typeof(Storage.OutboxMessage), nameof(Storage.OutboxMessage.Payload), "PersonalData")]
    [InlineData(typeof(CustomerMatchData), nameof(CustomerMatchData.Phone), "PersonalData")]
    [InlineData(typeof(CustomerMatchData), nameof(CustomerMatchData.ExternalId), "Pseudonymous")]
    [InlineData(typeof(ClickIdentifiers), nameof(ClickIdentifiers.Gclid), "PersonalData")]
    [InlineData(typeof(ClickIdentifiers), nameof(ClickIdentifiers.ClientIpAddress), "PersonalData")]
    [InlineData(typeof(Platforms.Clicks.CapturedClick), nameof(Platforms.Clicks.CapturedClick.Ids), "PersonalData")]
    [InlineData(typeof(Platforms.Clicks.CapturedClick), nameof(Platforms.Clicks.CapturedClick.SessionId), "Pseudonymous")]
    [InlineData(typeof(ConversionRequest), nameof(ConversionRequest.OrderId), "Pseudonymous")]
    [InlineData(typeof(PreparedConversion), nameof(PreparedConversion.CustomerId), "Pseudonymous")]
    [InlineData(typeof(AudienceMember), nameof(AudienceMember.Match), "PersonalData")]
    [InlineData(typeof(Email.EmailLedgerEntry), nameof(Email.EmailLedgerEntry.RecipientTag), "PersonalData")]
    [InlineData(typeof(Email.EmailUnsubscribeClaim), nameof(Email.EmailUnsubscribeClaim.CustomerId), "Pseudonymous")]
    public void Classification_is_read_from_the_property_attribute(Type type, string property, string expected)
    {
        var classification = ModelClassification.Of(type, property);
        Assert.Equal(new DataClassification(MarketingDataTaxonomy.Name, expected), classification);
        Assert.Equal(classification, ModelClassification.Of(type.GetProperty(property)!));
    }

    [Fact]
    public void Unclassified_and_unknown_properties_are_unknown()
    {
        Assert.Equal(DataClassification.Unknown, ModelClassification.Of(typeof(CustomerProfile), nameof(CustomerProfile.Version)));
        Assert.Equal(DataClassification.Unknown, ModelClassification.Of(typeof(ConversionRequest), nameof(ConversionRequest.OccurredAt)));
        Assert.Equal(DataClassification.Unknown, ModelClassification.Of(typeof(ConversionRequest), "NoSuchProperty"));
        Assert.Throws<ArgumentNullException>(() => ModelClassification.Of(null!, "Id"));
        Assert.Throws<ArgumentNullException>(() => ModelClassification.Of(typeof(CustomerProfile), null!));
    }

    [Fact]
    public void Classified_properties_lists_every_attributed_property_of_a_type()
    {
        var map = ModelClassification.ClassifiedProperties(typeof(ClickIdentifiers));
        Assert.Equal(14, map.Count); // 9 before Tencent Ads added its click id and WeChat ids, 14 with the Ocean Engine callback
        Assert.All(map.Values, c => Assert.Equal(MarketingDataTaxonomy.PersonalData, c));
    }

    [Fact]
    public void Masking_classes_share_the_one_marketing_taxonomy()
    {
        Assert.Equal(MarketingDataTaxonomy.Name, MaskedDataClassifications.Phone.TaxonomyName);
        Assert.Equal(MarketingDataTaxonomy.Name, MaskedDataClassifications.Email.TaxonomyName);
        Assert.Equal(MarketingDataTaxonomy.Name, MaskedDataClassifications.PersonName.TaxonomyName);
        // The Compliance package declares no taxonomy or classification attribute of its own beside the masking classes.
        var own = typeof(PiiMasking).Assembly.GetExportedTypes()
            .Where(t => typeof(DataClassificationAttribute).IsAssignableFrom(t) || t.Name.EndsWith("Taxonomy", StringComparison.Ordinal))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(own);
    }
}
