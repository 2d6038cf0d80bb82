using System.Text;

namespace DmVoice.Gateway.Auth;

/// <summary>
/// Bearer token validation, bound from "Auth": either an OIDC <see cref="Authority"/>, or a shared
/// HS256 <see cref="SigningKey"/> with <see cref="Issuer"/> and <see cref="Audience"/>.
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";
    public const int MinimumSigningKeyBytes = 32;
    public const int MaximumValidatedTokenCacheSize = 1_000_000;
    public static readonly TimeSpan MaximumValidatedTokenCacheDuration = TimeSpan.FromMinutes(10);

    public string? Authority { get; set; }

    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "dmvoice";

    public string Audience { get; set; } = "dmvoice";

    /// <summary>Serves POST /dev/token. Refused at start-up in every environment but Development.</summary>
    public bool EnableDevTokens { get; set; }

    /// <summary>Lifetime of tokens from /dev/token.</summary>
    public TimeSpan DevTokenLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// How long a bearer token found valid is accepted again without being validated (<see cref="CachingTokenHandler"/>),
    /// never past its own expiry. Zero turns the cache off. With <see cref="Authority"/> it is also how long a token
    /// signed with a key the provider has withdrawn can still be accepted.
    /// </summary>
    public TimeSpan ValidatedTokenCacheDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Bearer tokens the validated-token cache holds at most (about 4 KB each, so about 80 MB when full): the
    /// users who send requests within one <see cref="ValidatedTokenCacheDuration"/>, which for a gateway is far
    /// fewer than the users connected to it.
    /// </summary>
    public int ValidatedTokenCacheSize { get; set; } = 20_000;

    public bool UsesSigningKey => !string.IsNullOrEmpty(SigningKey);

    /// <summary>
    /// Signing keys printed where anyone can read them: the Development settings file, the Compose file and
    /// the Kubernetes Secret example of this repository. Anyone could mint tokens with them, so only
    /// Development accepts them (shorter placeholders are already refused by the length rule).
    /// </summary>
    public static readonly IReadOnlySet<string> PublishedExampleKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "dmvoice-development-signing-key-not-for-production-use",
        "dmvoice-compose-signing-key-change-me-0123456789",
        "example-only-replace-with-openssl-rand-base64-48",
    };

    /// <summary>Throws with a message an operator can act on.</summary>
    public void Validate(IHostEnvironment environment)
    {
        var isDevelopment = environment.IsDevelopment();
        if (string.IsNullOrEmpty(Authority) && !UsesSigningKey)
        {
            throw new InvalidOperationException("Configure Auth:Authority (OIDC) or Auth:SigningKey (HS256, at least 32 bytes).");
        }

        if (UsesSigningKey && Encoding.UTF8.GetByteCount(SigningKey!) < MinimumSigningKeyBytes)
        {
            throw new InvalidOperationException($"Auth:SigningKey must be at least {MinimumSigningKeyBytes} bytes.");
        }

        if (UsesSigningKey && !isDevelopment && PublishedExampleKeys.Contains(SigningKey!.Trim()))
        {
            throw new InvalidOperationException(
                $"Auth:SigningKey is an example key published with DmVoice, so anyone could mint tokens with it; " +
                $"only Development accepts it (this is '{environment.EnvironmentName}'). Generate one, e.g. openssl rand -base64 48.");
        }

        if (EnableDevTokens && !isDevelopment)
        {
            throw new InvalidOperationException(
                $"Auth:EnableDevTokens is allowed only in Development (this is '{environment.EnvironmentName}'): anyone could mint tokens.");
        }

        if (EnableDevTokens && !UsesSigningKey)
        {
            throw new InvalidOperationException("Auth:EnableDevTokens needs Auth:SigningKey to sign the tokens.");
        }

        if (ValidatedTokenCacheDuration < TimeSpan.Zero || ValidatedTokenCacheDuration > MaximumValidatedTokenCacheDuration)
        {
            throw new InvalidOperationException(
                $"Auth:ValidatedTokenCacheDuration must be 0 (no cache) to {MaximumValidatedTokenCacheDuration.TotalMinutes} minutes; it is {ValidatedTokenCacheDuration}.");
        }

        if (ValidatedTokenCacheSize < 1 || ValidatedTokenCacheSize > MaximumValidatedTokenCacheSize)
        {
            throw new InvalidOperationException(
                $"Auth:ValidatedTokenCacheSize must be 1 to {MaximumValidatedTokenCacheSize}; it is {ValidatedTokenCacheSize}.");
        }
    }
}
