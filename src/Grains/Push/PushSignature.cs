using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DmVoice.Grains.Push;

/// <summary>
/// How notifications are signed (docs/API.md shows receivers how to check it): HMAC-SHA256, keyed with
/// <c>Push:Secret</c>, over the ASCII timestamp, a '.', and the exact bytes of the body. The timestamp (Unix
/// seconds) travels in <see cref="TimestampHeader"/> and the signature, as <c>sha256=</c> and lowercase hex,
/// in <see cref="SignatureHeader"/>. Every attempt is signed afresh with its own time, so a receiver can turn
/// away anything older than a few minutes (replays) and still accept a late retry.
/// </summary>
public static class PushSignature
{
    public const string SignatureHeader = "X-DmVoice-Signature";
    public const string TimestampHeader = "X-DmVoice-Timestamp";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string AttemptHeader = "X-DmVoice-Attempt";
    public const string Prefix = "sha256=";

    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var timestamp = Encoding.ASCII.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[timestamp.Length + body.Length];
        timestamp.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(timestamp.Length));
        return Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }
}
