using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Profiles;

/// <summary>
/// Rules for merging identities into profiles. Defaults follow common practice: person-level
/// identities (phone, email, member id, unionid, external id) link profiles; device and cookie ids
/// link them too until the same device is seen with too many people; two different member ids,
/// unionids or external ids never end up on one profile.
/// </summary>
public sealed class IdentityResolutionOptions
{
    /// <summary>Kinds that may be shared by several people (family tablets, shop kiosks). Default: device id, cookie id.</summary>
    public ISet<IdentityKind> SharedKinds { get; } = new HashSet<IdentityKind> { IdentityKind.DeviceId, IdentityKind.CookieId };

    /// <summary>
    /// An identity of a <see cref="SharedKinds"/> kind that has been seen with more than this many
    /// distinct people (distinct person-level identities) no longer links profiles. Default 3.
    /// </summary>
    public int MaxPeoplePerSharedIdentity { get; set; } = 3;

    /// <summary>
    /// Kinds of which a profile holds at most one value: a link that would put two different values
    /// of one of these kinds on one profile is refused. Default: member id, WeChat unionid, external id.
    /// </summary>
    public ISet<IdentityKind> UniqueKinds { get; } = new HashSet<IdentityKind> { IdentityKind.MemberId, IdentityKind.WeChatUnionId, IdentityKind.ExternalId };

    /// <summary>How often a profile write is retried after an optimistic-concurrency conflict. Default 8.</summary>
    public int MaxWriteRetries { get; set; } = 8;
}

internal sealed class IdentityResolutionOptionsValidator : IValidateOptions<IdentityResolutionOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityResolutionOptions options)
    {
        if (options.MaxPeoplePerSharedIdentity < 1)
        {
            return ValidateOptionsResult.Fail("IdentityResolutionOptions.MaxPeoplePerSharedIdentity must be at least 1.");
        }
        if (options.MaxWriteRetries < 0)
        {
            return ValidateOptionsResult.Fail("IdentityResolutionOptions.MaxWriteRetries must not be negative.");
        }
        var both = options.SharedKinds.Intersect(options.UniqueKinds).ToList();
        if (both.Count > 0)
        {
            return ValidateOptionsResult.Fail($"IdentityResolutionOptions: kind {both[0]} cannot be both shared and unique.");
        }
        return ValidateOptionsResult.Success;
    }
}
