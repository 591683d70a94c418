using System.Security.Claims;
using ECommerce.Api.Shop;
using Marketing.Sdk;
using Marketing.Sdk.AspNetCore.Tracking;

namespace ECommerce.Api.Marketing;

/// <summary>
/// The shop's side of the trust boundary: a signed-in caller is its member id plus the email and
/// phone of its account (data the shop holds and vouches for). The request body can only add
/// anonymous device and cookie ids.
/// </summary>
internal sealed class ShopIdentityResolver(ShopStore shop) : ITrackingIdentityResolver
{
    public ValueTask<IReadOnlyList<Identity>> ResolveAsync(HttpContext context, CancellationToken cancellationToken = default)
    {
        if (context.User.Identity?.IsAuthenticated != true || context.User.FindFirstValue(ClaimTypes.NameIdentifier) is not { } member)
        {
            return ValueTask.FromResult<IReadOnlyList<Identity>>([]);
        }
        List<Identity> identities = [Identity.Member(member)];
        if (shop.GetAccount(member) is { } account)
        {
            if (!string.IsNullOrWhiteSpace(account.Email))
            {
                identities.Add(Identity.Email(account.Email));
            }
            if (!string.IsNullOrWhiteSpace(account.Phone))
            {
                identities.Add(Identity.Phone(account.Phone));
            }
        }
        return ValueTask.FromResult<IReadOnlyList<Identity>>(identities);
    }
}
