using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DmVoice.LiveKit;

/// <summary>
/// Mints LiveKit access tokens: HS256 JWTs signed with the API secret, carrying exactly the claims the
/// official SDKs emit — iss (API key), sub (identity), nbf, exp, and the grant claims name, metadata,
/// video, sha256. No iat and no jti, matching livekit-server-sdk.
/// </summary>
public sealed class AccessToken
{
    /// <summary>The official SDKs' default lifetime.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(6);

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly string _apiKey;
    private readonly SigningCredentials _credentials;
    private readonly TimeProvider _timeProvider;

    public AccessToken(string apiKey, string apiSecret, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        _apiKey = apiKey;
        _credentials = new SigningCredentials(LiveKitKeys.SigningKey(apiSecret), SecurityAlgorithms.HmacSha256);
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Participant identity (the JWT <c>sub</c>); required when the token grants roomJoin.</summary>
    public string? Identity { get; set; }

    /// <summary>Display name shown to other participants.</summary>
    public string? Name { get; set; }

    public string? Metadata { get; set; }

    /// <summary>Base64 SHA-256 of a request body; LiveKit uses it to sign webhooks.</summary>
    public string? Sha256 { get; set; }

    public TimeSpan Ttl { get; set; } = DefaultTtl;

    public VideoGrants? VideoGrants { get; set; }

    /// <summary>Merges into the existing video grant (later non-null values win), like the node SDK's addGrant.</summary>
    public AccessToken AddGrant(VideoGrants grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        VideoGrants = VideoGrants is null ? grant : VideoGrants.MergeWith(grant);
        return this;
    }

    public AccessToken WithIdentity(string identity)
    {
        Identity = identity;
        return this;
    }

    public AccessToken WithName(string name)
    {
        Name = name;
        return this;
    }

    public AccessToken WithMetadata(string metadata)
    {
        Metadata = metadata;
        return this;
    }

    public AccessToken WithTtl(TimeSpan ttl)
    {
        Ttl = ttl;
        return this;
    }

    public AccessToken WithSha256(string sha256)
    {
        Sha256 = sha256;
        return this;
    }

    public AccessToken WithGrants(VideoGrants grants) => AddGrant(grants);

    public string ToJwt()
    {
        if (Ttl <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Ttl must be positive.");
        }

        // Same rule as the SDKs: LiveKit rejects a join token without identity, so fail where it is made.
        if (VideoGrants?.RoomJoin == true && string.IsNullOrEmpty(Identity))
        {
            throw new InvalidOperationException("Identity is required for a token that grants roomJoin.");
        }

        // JWT NumericDate has whole seconds; truncate so nbf/exp are exact.
        var now = DateTimeOffset.FromUnixTimeSeconds(_timeProvider.GetUtcNow().ToUnixTimeSeconds());
        var claims = new Dictionary<string, object>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(Identity))
        {
            claims[JwtRegisteredClaimNames.Sub] = Identity;
        }

        if (!string.IsNullOrEmpty(Name))
        {
            claims["name"] = Name;
        }

        if (!string.IsNullOrEmpty(Metadata))
        {
            claims["metadata"] = Metadata;
        }

        if (!string.IsNullOrEmpty(Sha256))
        {
            claims["sha256"] = Sha256;
        }

        if (VideoGrants is not null)
        {
            claims["video"] = JsonSerializer.SerializeToElement(VideoGrants, VideoGrants.JsonOptions);
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = _apiKey,
            NotBefore = now.UtcDateTime,
            Expires = now.Add(Ttl).UtcDateTime,
            Claims = claims,
            SigningCredentials = _credentials,
        };
        return Handler.CreateToken(descriptor);
    }
}

internal static class LiveKitKeys
{
    public static SymmetricSecurityKey SigningKey(string apiSecret)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiSecret);
        var bytes = Encoding.UTF8.GetBytes(apiSecret);
        if (bytes.Length < LiveKitOptions.MinimumSecretBytes)
        {
            throw new ArgumentException(
                $"The LiveKit API secret must be at least {LiveKitOptions.MinimumSecretBytes} bytes for HS256.", nameof(apiSecret));
        }

        return new SymmetricSecurityKey(bytes);
    }
}
