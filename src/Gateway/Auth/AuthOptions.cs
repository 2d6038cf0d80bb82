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

    public string? Authority { get; set; }

    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "dmvoice";

    public string Audience { get; set; } = "dmvoice";

    /// <summary>Serves POST /dev/token. Refused at start-up in Production.</summary>
    public bool EnableDevTokens { get; set; }

    /// <summary>Lifetime of tokens from /dev/token.</summary>
    public TimeSpan DevTokenLifetime { get; set; } = TimeSpan.FromHours(12);

    public bool UsesSigningKey => !string.IsNullOrEmpty(SigningKey);

    /// <summary>Throws with a message an operator can act on.</summary>
    public void Validate(bool isProduction)
    {
        if (string.IsNullOrEmpty(Authority) && !UsesSigningKey)
        {
            throw new InvalidOperationException("Configure Auth:Authority (OIDC) or Auth:SigningKey (HS256, at least 32 bytes).");
        }

        if (UsesSigningKey && Encoding.UTF8.GetByteCount(SigningKey!) < MinimumSigningKeyBytes)
        {
            throw new InvalidOperationException($"Auth:SigningKey must be at least {MinimumSigningKeyBytes} bytes.");
        }

        if (EnableDevTokens && isProduction)
        {
            throw new InvalidOperationException("Auth:EnableDevTokens must not be on in Production: anyone could mint tokens.");
        }

        if (EnableDevTokens && !UsesSigningKey)
        {
            throw new InvalidOperationException("Auth:EnableDevTokens needs Auth:SigningKey to sign the tokens.");
        }
    }
}
