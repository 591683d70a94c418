using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.AspNetCore.Tracking;

/// <summary>
/// The server side of the trust boundary: maps the caller of a tracking endpoint (its authenticated
/// principal, session or any server-held state) to the person-level identities of the customer — the
/// shop's member id, a verified email or phone. Callers can only add anonymous ids (device and cookie
/// ids) in the request body; every other identity comes from here. Register your own as a singleton
/// to replace the default <see cref="ClaimsTrackingIdentityResolver"/>.
/// </summary>
public interface ITrackingIdentityResolver
{
    /// <summary>Returns the identities the server vouches for (empty for an anonymous caller).</summary>
    /// <param name="context">The request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<Identity>> ResolveAsync(HttpContext context, CancellationToken cancellationToken = default);
}

/// <summary>
/// The default resolver: an authenticated principal's <see cref="MarketingTrackingOptions.MemberIdClaimType"/>
/// claim becomes a <see cref="IdentityKind.MemberId"/> identity; an anonymous caller has none.
/// </summary>
/// <param name="options">The tracking options.</param>
public sealed class ClaimsTrackingIdentityResolver(IOptions<MarketingTrackingOptions> options) : ITrackingIdentityResolver
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Identity>> ResolveAsync(HttpContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.User;
        if (user.Identity?.IsAuthenticated == true && user.FindFirst(options.Value.MemberIdClaimType)?.Value is { Length: > 0 } member)
        {
            return ValueTask.FromResult<IReadOnlyList<Identity>>([Identity.Member(member)]);
        }
        return ValueTask.FromResult<IReadOnlyList<Identity>>([]);
    }
}
