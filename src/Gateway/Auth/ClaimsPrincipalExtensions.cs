using System.Security.Claims;

namespace DmVoice.Gateway.Auth;

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The caller's user id: always the token's <c>sub</c>, never anything from the request body.</summary>
    public static string UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("Authenticated principal without 'sub'.");

    /// <summary>The token's <c>name</c>, falling back to the user id.</summary>
    public static string DisplayName(this ClaimsPrincipal user)
    {
        var name = user.FindFirstValue("name");
        return string.IsNullOrWhiteSpace(name) ? user.UserId() : name.Trim()[..Math.Min(name.Trim().Length, Validate.MaxNameLength)];
    }
}
