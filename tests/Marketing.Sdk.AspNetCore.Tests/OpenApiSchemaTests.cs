using Marketing.Sdk.AspNetCore.Tracking;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Marketing.Sdk.AspNetCore.Tests;

public sealed class OpenApiSchemaTests
{
    private static OpenApiSchema Schema(Type type)
    {
        var schema = new OpenApiSchema();
        MarketingOpenApiOptionsExtensions.Apply(schema, type);
        return schema;
    }

    [Fact]
    public void Names_are_strings_with_the_well_known_values()
    {
        var eventType = Schema(typeof(EventType));
        Assert.Equal(JsonSchemaType.String, eventType.Type);
        Assert.Contains("add_to_cart", eventType.Description, StringComparison.Ordinal);
        Assert.True(eventType.Extensions!.ContainsKey("x-known-values"));
        Assert.Equal(JsonSchemaType.String, Schema(typeof(Channel?)).Type);
        Assert.Equal("^[A-Za-z0-9:_-]{1,64}$", Schema(typeof(CustomerId)).Pattern);
    }

    [Fact]
    public void Money_identity_and_enums_have_real_schemas()
    {
        var money = Schema(typeof(Money));
        Assert.Equal(JsonSchemaType.Object, money.Type);
        Assert.Equal(["amount", "currency"], money.Properties!.Keys.Order());
        var identity = Schema(typeof(Identity));
        Assert.Equal(Enum.GetValues<IdentityKind>().Length, ((OpenApiSchema)identity.Properties!["kind"]).Enum!.Count);
        var outcome = Schema(typeof(TrackOutcome));
        Assert.Equal(JsonSchemaType.String, outcome.Type);
        Assert.Equal(["Accepted", "Duplicate", "Dropped", "Rejected"], outcome.Enum!.Select(e => e.ToString()));
        Assert.Equal(JsonSchemaType.String, Schema(typeof(IdentityKind)).Type);
    }
}
