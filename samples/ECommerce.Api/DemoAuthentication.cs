using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ECommerce.Api;

/// <summary>
/// The demo's sign-in: the <c>X-Demo-User</c> header names the member (letters, digits, '-' and '_',
/// at most 64). A stand-in for the shop's real authentication (cookies, OpenID Connect, JWT): what
/// matters for the SDK is that the member id comes from an authenticated principal, not from the body.
/// The member <c>admin</c> has the admin role, the member <c>marketer</c> the marketer role (the dashboard, read-only).
/// </summary>
internal sealed class DemoAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DemoHeader";
    public const string HeaderName = "X-Demo-User";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var member = values.ToString();
        if (member.Length is 0 or > 64 || !member.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return Task.FromResult(AuthenticateResult.Fail("The demo user header is not a valid member id."));
        }
        List<Claim> claims = [new(ClaimTypes.NameIdentifier, member), new(ClaimTypes.Name, member)];
        if (member is "admin" or "marketer")
        {
            claims.Add(new Claim(ClaimTypes.Role, member));
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
