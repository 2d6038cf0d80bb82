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
}
