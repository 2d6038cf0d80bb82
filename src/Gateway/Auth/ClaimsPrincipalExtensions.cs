using System.Security.Claims;

namespace DmVoice.Gateway.Auth;

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The caller's user id: always the token's <c>sub</c>, never anything from the request body.</summary>
    public static string UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("Authenticated principal without 'sub'.");

    /// <summary>
    /// The token's <c>name</c>, normalised once (<see cref="Validate.NormalizeDisplayName"/>: hidden and control
    /// characters gone, cut at a character boundary), falling back to the user id when nothing is left.
    /// </summary>
    public static string DisplayName(this ClaimsPrincipal user) =>
        Validate.NormalizeDisplayName(user.FindFirstValue("name")) ?? user.UserId();

    /// <summary>The claims the gateway reads: <see cref="UserId"/>'s and <see cref="DisplayName"/>'s.</summary>
    private static readonly string[] KeptClaims = ["sub", "name"];

    /// <summary>
    /// A principal with only the claims the gateway reads (<c>sub</c>, <c>name</c>), in an identity of the same
    /// authentication, name and role claim types. The one the token handler builds also holds the parsed token
    /// (its header and payload, a second copy of every claim, the registered claims nothing here reads), and a
    /// hub connection keeps its request's principal for as long as it is open: about 3 KB per connected user.
    /// </summary>
    public static ClaimsPrincipal WithGatewayClaimsOnly(this ClaimsPrincipal user)
    {
        var source = user.Identity as ClaimsIdentity;
        var identity = new ClaimsIdentity(source?.AuthenticationType, source?.NameClaimType, source?.RoleClaimType);
        foreach (var type in KeptClaims)
        {
            if (user.FindFirst(type) is { } claim)
            {
                // Made for this identity, so it is not copied again, and without the token handler's claim properties.
                identity.AddClaim(new Claim(claim.Type, claim.Value, claim.ValueType, claim.Issuer, claim.OriginalIssuer, identity));
            }
        }

        return new ClaimsPrincipal(identity);
    }
}
