using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DmVoice.LiveKit;

/// <summary>The claims of a verified LiveKit token.</summary>
public sealed record ClaimGrants
{
    /// <summary>The JWT <c>sub</c>; empty for server API tokens and webhook signatures.</summary>
    public string Identity { get; init; } = string.Empty;

    public string? Name { get; init; }

    public string? Metadata { get; init; }

    public string? Sha256 { get; init; }

    public VideoGrants? Video { get; init; }

    /// <summary>The API key that signed the token (<c>iss</c>).</summary>
    public string Issuer { get; init; } = string.Empty;

    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset Expires { get; init; }
}

/// <summary>
/// Verifies LiveKit tokens the way the SDKs do: HS256 with the API secret, <c>iss</c> must be the API key,
/// <c>exp</c> is required, nbf/exp are checked with a small clock tolerance (10 s, the node SDK default).
/// </summary>
public sealed class TokenVerifier
{
    public static readonly TimeSpan DefaultClockTolerance = TimeSpan.FromSeconds(10);

    private static readonly JsonWebTokenHandler Handler = new();

    private readonly TokenValidationParameters _parameters;

    public TokenVerifier(string apiKey, string apiSecret, TimeProvider? timeProvider = null, TimeSpan? clockTolerance = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        var time = timeProvider ?? TimeProvider.System;
        var tolerance = clockTolerance ?? DefaultClockTolerance;
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKey = LiveKitKeys.SigningKey(apiSecret),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuerSigningKey = true,
            ValidateIssuer = true,
            ValidIssuer = apiKey,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = tolerance,

            // Our own check so the clock comes from TimeProvider (tests control time).
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } exp && now <= exp.ToUniversalTime() + tolerance
                    && (notBefore is not { } nbf || nbf.ToUniversalTime() <= now + tolerance);
            },

            // We read LiveKit's claims from the raw payload; skip the ClaimsIdentity name/role mapping.
            NameClaimType = JwtRegisteredClaimNames.Sub,
        };
    }

    /// <exception cref="LiveKitAuthException">The token is malformed, forged, expired or from another key.</exception>
    public ClaimGrants Verify(string token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new LiveKitAuthException("LiveKit token is empty.");
        }

        // With a fixed symmetric key (no ConfigurationManager) validation never actually awaits, so blocking
        // here is safe and keeps Verify usable from synchronous code (e.g. span-based webhook parsing).
        var result = Handler.ValidateTokenAsync(token, _parameters).GetAwaiter().GetResult();
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            throw new LiveKitAuthException(
                $"LiveKit token rejected: {result.Exception?.Message ?? "invalid token"}", result.Exception);
        }

        return ReadClaims(jwt);
    }

    private static ClaimGrants ReadClaims(JsonWebToken jwt)
    {
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        var root = payload.RootElement;
        VideoGrants? video = null;
        if (root.TryGetProperty("video", out var v) && v.ValueKind == JsonValueKind.Object)
        {
            video = v.Deserialize<VideoGrants>(VideoGrants.JsonOptions);
        }

        return new ClaimGrants
        {
            Identity = StringClaim(root, "sub") ?? string.Empty,
            Name = StringClaim(root, "name"),
            Metadata = StringClaim(root, "metadata"),
            Sha256 = StringClaim(root, "sha256"),
            Video = video,
            Issuer = jwt.Issuer,
            NotBefore = jwt.ValidFrom == DateTime.MinValue ? null : new DateTimeOffset(jwt.ValidFrom, TimeSpan.Zero),
            Expires = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero),
        };
    }

    private static string? StringClaim(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
