using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Marketing.Sdk;
using Marketing.Sdk.AspNetCore.Tracking;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Microsoft.AspNetCore.OpenApi;

/// <summary>OpenAPI schemas for the Marketing.Sdk wire types: <c>services.AddOpenApi(o => o.AddMarketingSchemas())</c>.</summary>
public static class MarketingOpenApiOptionsExtensions
{
    /// <summary>
    /// Adds a schema transformer that gives every Marketing.Sdk wire type a real schema: enums as
    /// strings with their names, <see cref="EventType"/>, <see cref="Channel"/> and
    /// <see cref="ConsentPurpose"/> as strings with the well-known names as examples, <see cref="Money"/>
    /// as amount + ISO 4217 currency, <see cref="Identity"/> as kind + value, <see cref="CustomerId"/>
    /// as a patterned string, property values as string, number or boolean.
    /// </summary>
    /// <param name="options">The OpenAPI options.</param>
    /// <returns>The options.</returns>
    public static OpenApiOptions AddMarketingSchemas(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddSchemaTransformer((schema, context, _) =>
        {
            Apply(schema, context.JsonTypeInfo.Type);
            return Task.CompletedTask;
        });
        return options;
    }

    internal static void Apply(OpenApiSchema schema, Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(EventType))
        {
            NameSchema(schema, "What happened: a well-known event type or any custom snake_case name.", EventType.WellKnown.Select(t => t.Value));
        }
        else if (type == typeof(Channel))
        {
            NameSchema(schema, "The channel: a well-known channel or platform name, or any custom snake_case name.", Channel.WellKnown.Select(c => c.Value));
        }
        else if (type == typeof(ConsentPurpose))
        {
            NameSchema(schema, "A consent purpose: a well-known purpose or any custom snake_case name.", ConsentPurpose.WellKnown.Select(c => c.Value));
        }
        else if (type == typeof(CustomerId))
        {
            Reset(schema, JsonSchemaType.String);
            schema.Description = "The SDK's pseudonymous profile id (safe to log): 1-64 ASCII letters, digits, '-', '_' or ':'.";
            schema.Pattern = "^[A-Za-z0-9:_-]{1,64}$";
            schema.MinLength = 1;
            schema.MaxLength = 64;
            schema.Examples = [JsonValue.Create("c_0190f2c4a6e07b3f9d1e2a4b5c6d7e8f")];
        }
        else if (type == typeof(Money))
        {
            Reset(schema, JsonSchemaType.Object);
            schema.Description = "An amount of money in major units with its ISO 4217 currency.";
            schema.Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["amount"] = new OpenApiSchema { Type = JsonSchemaType.Number, Format = "decimal", Description = "The amount in major units (e.g. 12.34)." },
                ["currency"] = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[A-Z]{3}$", Description = "ISO 4217 alphabetic code.", Examples = [JsonValue.Create("EUR")] },
            };
            schema.Required = new HashSet<string>(StringComparer.Ordinal) { "amount", "currency" };
            schema.Examples = [new JsonObject { ["amount"] = 59.90m, ["currency"] = "EUR" }];
        }
        else if (type == typeof(Marketing.Sdk.Identity))
        {
            Reset(schema, JsonSchemaType.Object);
            schema.Description = "One identifier of a customer. The value is personal data.";
            var kind = new OpenApiSchema();
            StringEnum(kind, typeof(IdentityKind));
            schema.Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["kind"] = kind,
                ["value"] = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 256 },
            };
            schema.Required = new HashSet<string>(StringComparer.Ordinal) { "kind", "value" };
        }
        else if (type == typeof(PropertyValue))
        {
            Reset(schema, JsonSchemaType.String | JsonSchemaType.Number | JsonSchemaType.Boolean | JsonSchemaType.Null);
            schema.Description = "A property value: a string, a number or a boolean.";
        }
        else if (type == typeof(AnonymousIdRequest))
        {
            if (schema.Properties?.TryGetValue("kind", out var kind) == true && kind is OpenApiSchema k)
            {
                Reset(k, JsonSchemaType.String);
                k.Enum = [JsonValue.Create(nameof(IdentityKind.DeviceId)), JsonValue.Create(nameof(IdentityKind.CookieId))];
                k.Description = "Only anonymous kinds: person-level identities come from the server.";
            }
        }
        else if (type.IsEnum && IsStringEnum(type))
        {
            StringEnum(schema, type);
        }
    }

    private static bool IsStringEnum(Type type) =>
        type.GetCustomAttribute<JsonConverterAttribute>() is { ConverterType: { } converter }
        && ((converter.IsGenericType && converter.GetGenericTypeDefinition() == typeof(JsonStringEnumConverter<>))
            || converter == typeof(IdentityKindJsonConverter));

    private static void StringEnum(OpenApiSchema schema, Type type)
    {
        Reset(schema, JsonSchemaType.String);
        schema.Enum = [.. Enum.GetNames(type).Select(n => (JsonNode)JsonValue.Create(n))];
        if (type.GetCustomAttribute<FlagsAttribute>() is not null)
        {
            schema.Description = "Flags: one name or several names separated by \", \".";
            schema.Enum = null;
            schema.Examples = [JsonValue.Create(Enum.GetNames(type).Last())];
        }
    }

    private static void NameSchema(OpenApiSchema schema, string description, IEnumerable<string> wellKnown)
    {
        Reset(schema, JsonSchemaType.String);
        var names = wellKnown.ToList();
        schema.Description = description + " Well-known: " + string.Join(", ", names) + ".";
        schema.Pattern = "^[a-z][a-z0-9_.]{0,63}$";
        schema.MaxLength = 64;
        schema.Examples = [JsonValue.Create(names[0])];
        schema.Extensions ??= new Dictionary<string, IOpenApiExtension>(StringComparer.Ordinal);
        schema.Extensions["x-known-values"] = new JsonNodeExtension(new JsonArray([.. names.Select(n => (JsonNode)JsonValue.Create(n))]));
    }

    private static void Reset(OpenApiSchema schema, JsonSchemaType type)
    {
        schema.Type = type;
        schema.Format = null;
        schema.Properties = null;
        schema.Required = null;
        schema.AdditionalProperties = null;
        schema.Items = null;
        schema.Enum = null;
    }
}
