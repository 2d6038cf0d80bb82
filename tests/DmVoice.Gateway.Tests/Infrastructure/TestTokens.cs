using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>Mints bearer tokens the way an identity provider would, including broken ones.</summary>
public static class TestTokens
{
    /// <summary>A key of the right length that is not the gateway's.</summary>
    public const string WrongKey = "not-the-gateway-signing-key-9876543210-zyxwv";

    /// <summary>
    /// An HS256 token. <paramref name="sub"/> null leaves the claim out; <paramref name="expires"/>
    /// in the past makes an expired token (not-before and issued-at move back with it).
    /// </summary>
    public static string Mint(
        string? sub,
        string key = GatewayServer.SigningKey,
        DateTime? expires = null,
        string issuer = "dmvoice",
        string audience = "dmvoice",
        string? name = null)
    {
        var expiry = expires ?? DateTime.UtcNow.AddHours(1);
        var issued = expiry.AddHours(-2);
        var claims = new List<Claim>();
        if (sub is not null)
        {
            claims.Add(new Claim("sub", sub));
        }

        if (name is not null)
        {
            claims.Add(new Claim("name", name));
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = issued,
            NotBefore = issued,
            Expires = expiry,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}
