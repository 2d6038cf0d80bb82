using System.Security.Claims;
using DmVoice.Gateway.Auth;

namespace DmVoice.Gateway.Tests.Auth;

/// <summary>
/// What a validated token leaves on the request (and on a hub connection, for its whole life): the claims the
/// gateway reads, in an identity of the same kind, and nothing of the token itself.
/// </summary>
public sealed class GatewayClaimsTests
{
    private static ClaimsPrincipal TokenPrincipal(params Claim[] claims) =>
        new(new ClaimsIdentity(claims, "AuthenticationTypes.Federation", "name", "role"));

    [Fact]
    public void Only_sub_and_name_are_kept_with_the_identity_s_authentication_name_and_role_types()
    {
        var token = TokenPrincipal(
            new Claim("iss", "dmvoice"),
            new Claim("sub", "alice", ClaimValueTypes.String, "dmvoice"),
            new Claim("aud", "dmvoice"),
            new Claim("name", "Alice A.", ClaimValueTypes.String, "dmvoice"),
            new Claim("exp", "1900000000", ClaimValueTypes.Integer64),
            new Claim("role", "admin"));

        var kept = token.WithGatewayClaimsOnly();

        var identity = Assert.IsType<ClaimsIdentity>(kept.Identity);
        Assert.True(identity.IsAuthenticated);
        Assert.Equal("AuthenticationTypes.Federation", identity.AuthenticationType);
        Assert.Equal("name", identity.NameClaimType);
        Assert.Equal("role", identity.RoleClaimType);
        Assert.Equal(["sub", "name"], kept.Claims.Select(c => c.Type));
        Assert.Equal("alice", kept.UserId());
        Assert.Equal("Alice A.", kept.DisplayName());
        Assert.Equal("Alice A.", identity.Name);
        Assert.All(kept.Claims, c => Assert.Equal("dmvoice", c.Issuer));
        Assert.All(kept.Claims, c => Assert.Same(identity, c.Subject));
    }

    [Fact]
    public void A_token_without_a_name_keeps_the_user_id_as_display_name()
    {
        var kept = TokenPrincipal(new Claim("sub", "bob"), new Claim("iat", "1")).WithGatewayClaimsOnly();

        Assert.Equal(["sub"], kept.Claims.Select(c => c.Type));
        Assert.Equal("bob", kept.DisplayName());
    }
}
