using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DmVoice.TestSupport.Push;

/// <summary>
/// The receiver's check exactly as docs/API.md shows it ("Verifying a push notification"), so the tests prove
/// that what a push service would run accepts DmVoice's notifications and turns away forgeries and replays.
/// </summary>
public static class PushVerification
{
    // --- as in docs/API.md ---
    public static bool IsFromDmVoice(string secret, string? timestamp, string? signature, byte[] body, DateTimeOffset now)
    {
        // A timestamp more than 5 minutes away from now is a replay (or a badly wrong clock): refuse it.
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(now.ToUnixTimeSeconds() - seconds) > 300
            || signature is null)
        {
            return false;
        }

        // HMAC-SHA256 over "<timestamp>." followed by the raw body bytes, exactly as received.
        var signed = Encoding.ASCII.GetBytes(timestamp + ".").Concat(body).ToArray();
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
    }
    // --- end ---

    public static bool IsFromDmVoice(string secret, ReceivedPush push, DateTimeOffset now) =>
        IsFromDmVoice(secret, push.Header("X-DmVoice-Timestamp"), push.Header("X-DmVoice-Signature"), push.Body, now);
}
