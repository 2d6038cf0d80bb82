using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DmVoice.LiveKit;

/// <summary>
/// Verifies and parses LiveKit webhooks. LiveKit POSTs protobuf JSON and puts a raw JWT (no "Bearer "
/// prefix) in the Authorization header, signed with the API key/secret, whose <c>sha256</c> claim is the
/// base64 SHA-256 of the exact body bytes. Anything that does not match is rejected.
/// </summary>
public sealed class WebhookReceiver
{
    private readonly TokenVerifier _verifier;

    public WebhookReceiver(string apiKey, string apiSecret, TimeProvider? timeProvider = null)
    {
        _verifier = new TokenVerifier(apiKey, apiSecret, timeProvider);
    }

    /// <exception cref="LiveKitAuthException">Missing/invalid Authorization or body hash mismatch.</exception>
    /// <exception cref="LiveKitException">Authentic, but not a JSON object.</exception>
    public WebhookEvent Receive(ReadOnlySpan<byte> body, string? authorization)
    {
        if (string.IsNullOrEmpty(authorization))
        {
            throw new LiveKitAuthException("Webhook Authorization header is missing.");
        }

        var claims = _verifier.Verify(authorization);
        if (string.IsNullOrEmpty(claims.Sha256))
        {
            throw new LiveKitAuthException("Webhook token carries no sha256 claim.");
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, hash);
        var expected = Encoding.ASCII.GetBytes(Convert.ToBase64String(hash));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(claims.Sha256)))
        {
            throw new LiveKitAuthException("Webhook body does not match the sha256 claim.");
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new LiveKitException("Webhook body is not a JSON object.");
            }

            return WebhookEvent.FromJson(document.RootElement);
        }
        catch (JsonException ex)
        {
            throw new LiveKitException("Webhook body is not valid JSON.", ex);
        }
    }

    /// <summary>Convenience for string bodies; hashes their UTF-8 bytes, as the node SDK does.</summary>
    public WebhookEvent Receive(string body, string? authorization)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Receive(Encoding.UTF8.GetBytes(body), authorization);
    }
}
