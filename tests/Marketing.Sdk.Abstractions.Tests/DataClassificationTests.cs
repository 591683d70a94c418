using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Compliance.Classification;

namespace Marketing.Sdk.Abstractions.Tests;

public partial class DataClassificationTests
{
    // Names that mark personal data wherever they appear in the public model.
    [GeneratedRegex("(email|phone|ip_?address|address|firstname|lastname|fullname|personname|clickid|identit|trait|statictags|dynamictags|consents$|subject|actor|session|coupon|orderid|payload|proof|region|customerid|survivor|^merged$|mergedfrom)", RegexOptions.IgnoreCase)]
    private static partial Regex PersonalName();

    private static bool MarksPersonalData(PropertyInfo p)
    {
        var type = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
        bool Is(Type t) => type == t || (type.IsGenericType && type.GetGenericArguments().Any(a => a == t));
        return Is(typeof(CustomerId)) || Is(typeof(Identity)) || Is(typeof(PropertyValue)) || (p.DeclaringType == typeof(Identity) && p.Name == nameof(Identity.Value))
            || PersonalName().IsMatch(p.Name);
    }

    private static IEnumerable<PropertyInfo> ModelProperties() =>
        typeof(MarketingEvent).Assembly.GetExportedTypes()
            .Where(t => !t.IsInterface && !t.IsEnum && !typeof(Exception).IsAssignableFrom(t) && !typeof(Attribute).IsAssignableFrom(t)
                && !typeof(System.Text.Json.Serialization.JsonConverter).IsAssignableFrom(t)
                && !typeof(System.Text.Json.Serialization.JsonSerializerContext).IsAssignableFrom(t) && !(t.IsAbstract && t.IsSealed))
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract");

    [Fact]
    public void Every_model_property_that_holds_personal_data_is_classified()
    {
        var candidates = ModelProperties().Where(MarksPersonalData).ToList();
        Assert.True(candidates.Count >= 30, $"Only {candidates.Count} candidates: the scan misses the model.");
        var missing = candidates
            .Where(p => p.GetCustomAttribute<DataClassificationAttribute>() is null)
            .Select(p => $"{p.DeclaringType!.Name}.{p.Name}")
            .ToList();
        Assert.True(missing.Count == 0, "Not classified: " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData(typeof(Identity), nameof(Identity.Value), "PersonalData")]
    [InlineData(typeof(MarketingEvent), nameof(MarketingEvent.IpAddress), "PersonalData")]
    [InlineData(typeof(MarketingEvent), nameof(MarketingEvent.Identities), "PersonalData")]
    [InlineData(typeof(MarketingEvent), nameof(MarketingEvent.Properties), "PersonalData")]
    [InlineData(typeof(CustomerProfile), nameof(CustomerProfile.Traits), "PersonalData")]
    [InlineData(typeof(CustomerProfile), nameof(CustomerProfile.Id), "Pseudonymous")]
    [InlineData(typeof(Order), nameof(Order.OrderId), "Pseudonymous")]
    [InlineData(typeof(Storage.AuditRecord), nameof(Storage.AuditRecord.Actor), "PersonalData")]
    [InlineData(typeof(Storage.OutboxMessage), nameof(Storage.OutboxMessage.Payload), "PersonalData")]
    public void Classifications_use_the_marketing_taxonomy(Type type, string property, string value)
    {
        var attribute = type.GetProperty(property)!.GetCustomAttribute<DataClassificationAttribute>();
        Assert.NotNull(attribute);
        Assert.Equal(new DataClassification(MarketingDataTaxonomy.Name, value), attribute.Classification);
    }

    [Fact]
    public void Ids_and_timestamps_that_are_not_personal_are_not_flagged()
    {
        Assert.Null(typeof(MarketingEvent).GetProperty(nameof(MarketingEvent.OccurredAt))!.GetCustomAttribute<DataClassificationAttribute>());
        Assert.Null(typeof(Product).GetProperty(nameof(Product.Title))!.GetCustomAttribute<DataClassificationAttribute>());
    }
}
