using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>The kinds of identifier a customer can be known by.</summary>
[JsonConverter(typeof(IdentityKindJsonConverter))]
public enum IdentityKind
{
    /// <summary>A phone number (normalised to E.164).</summary>
    Phone = 1,
    /// <summary>An email address (normalised to trimmed lower case).</summary>
    Email = 2,
    /// <summary>A device or advertising id (IDFA, GAID, OAID, IDFV).</summary>
    DeviceId = 3,
    /// <summary>A WeChat openid (unique per official account or mini-program).</summary>
    WeChatOpenId = 4,
    /// <summary>A WeChat unionid (unique per WeChat open-platform account).</summary>
    WeChatUnionId = 5,
    /// <summary>The shop's own member or account id.</summary>
    MemberId = 6,
    /// <summary>An id from another system (CRM, ERP, loyalty).</summary>
    ExternalId = 7,
    /// <summary>A first-party cookie or anonymous web id.</summary>
    CookieId = 8,
    /// <summary>A WeCom (企业微信) external contact id (<c>external_userid</c>, unique per corp).</summary>
    WeComExternalUserId = 9,
}

/// <summary>
/// One identifier of a customer: a kind and a value. The value is personal data: it never appears
/// in <see cref="ToString"/>, logs or exception messages.
/// </summary>
/// <param name="Kind">The kind of identifier.</param>
/// <param name="Value">The identifier; normalised by the SDK on ingestion (E.164 phones, lower-case emails).</param>
public readonly record struct Identity(IdentityKind Kind, [property: PersonalData] string Value)
{
    /// <summary>A phone identity.</summary>
    /// <param name="value">The phone number.</param>
    public static Identity Phone(string value) => new(IdentityKind.Phone, value);

    /// <summary>An email identity.</summary>
    /// <param name="value">The email address.</param>
    public static Identity Email(string value) => new(IdentityKind.Email, value);

    /// <summary>A device-id identity.</summary>
    /// <param name="value">The device id.</param>
    public static Identity Device(string value) => new(IdentityKind.DeviceId, value);

    /// <summary>A WeChat openid identity.</summary>
    /// <param name="value">The openid.</param>
    public static Identity WeChatOpenId(string value) => new(IdentityKind.WeChatOpenId, value);

    /// <summary>A WeChat unionid identity.</summary>
    /// <param name="value">The unionid.</param>
    public static Identity WeChatUnionId(string value) => new(IdentityKind.WeChatUnionId, value);

    /// <summary>A shop member-id identity.</summary>
    /// <param name="value">The member id.</param>
    public static Identity Member(string value) => new(IdentityKind.MemberId, value);

    /// <summary>An external-system identity.</summary>
    /// <param name="value">The id.</param>
    public static Identity External(string value) => new(IdentityKind.ExternalId, value);

    /// <summary>A cookie-id identity.</summary>
    /// <param name="value">The cookie id.</param>
    public static Identity Cookie(string value) => new(IdentityKind.CookieId, value);

    /// <summary>A WeCom external-contact identity.</summary>
    /// <param name="value">The <c>external_userid</c>.</param>
    public static Identity WeComExternalUserId(string value) => new(IdentityKind.WeComExternalUserId, value);

    /// <summary>A stable text key <c>kind:value</c>, for storage and hashing. Contains personal data; not serialised (it is derived).</summary>
    [JsonIgnore]
    [PersonalData]
    public string Key => $"{(int)Kind}:{Value}";

    /// <summary>
    /// A SHA-256 hex digest of <see cref="Key"/>: a stable key that stores use where a row must point at
    /// an identity without holding its value (e.g. shared-device co-observations). Unkeyed, so it is
    /// pseudonymous rather than anonymous; erase it together with the identity.
    /// </summary>
    [JsonIgnore]
    [PseudonymousData]
    public string Fingerprint => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Key)));

    /// <summary>Returns the kind and a masked value; never the value itself.</summary>
    public override string ToString() => $"{Kind}:***";
}

/// <summary>
/// JSON converter for <see cref="IdentityKind"/>: written as the kind's name (<c>"Phone"</c>); read
/// from a name (case-insensitive) or the kind's number. An undefined kind (e.g. <c>99</c> or
/// <c>"Fax"</c>), a wrong token or JSON null is a <see cref="JsonException"/> naming the field and the
/// reason (<see cref="ValidationReason.UnknownIdentityKind"/>), never the value.
/// </summary>
public sealed class IdentityKindJsonConverter : JsonConverter<IdentityKind>
{
    private const string Field = "kind";

    /// <inheritdoc />
    public override IdentityKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        IdentityKind kind;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                var text = reader.GetString();
                if (string.IsNullOrWhiteSpace(text))
                {
                    throw JsonReadErrors.Invalid(Field, ValidationReason.Missing, "An identity kind is required.");
                }
                kind = ByName(text.Trim());
                break;
            case JsonTokenType.Number:
                if (!reader.TryGetInt32(out var number))
                {
                    throw Unknown();
                }
                kind = (IdentityKind)number;
                break;
            case JsonTokenType.Null:
                throw JsonReadErrors.Null(Field);
            default:
                throw JsonReadErrors.WrongToken(Field, reader.TokenType, "an identity kind name");
        }
        return Enum.IsDefined(kind) ? kind : throw Unknown();
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IdentityKind value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (Enum.IsDefined(value))
        {
            writer.WriteStringValue(value.ToString());
        }
        else
        {
            writer.WriteNumberValue((int)value);
        }
    }

    private static IdentityKind ByName(string name)
    {
        foreach (var kind in Enum.GetValues<IdentityKind>())
        {
            if (string.Equals(kind.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }
        throw Unknown();
    }

    private static JsonException Unknown() =>
        JsonReadErrors.Invalid(Field, ValidationReason.UnknownIdentityKind, "Not one of the known identity kinds.");
}
