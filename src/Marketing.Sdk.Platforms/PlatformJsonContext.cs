using System.Text.Json.Serialization;
using Marketing.Sdk.Platforms.Auth;

namespace Marketing.Sdk.Platforms;

/// <summary>Source-generated JSON for the platform package's own payloads (prepared conversions in the outbox, cached tokens).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PreparedConversion))]
[JsonSerializable(typeof(CachedToken))]
[JsonSerializable(typeof(OAuthTokenResponse))]
[JsonSerializable(typeof(TokenPair))]
internal sealed partial class PlatformJsonContext : JsonSerializerContext;
