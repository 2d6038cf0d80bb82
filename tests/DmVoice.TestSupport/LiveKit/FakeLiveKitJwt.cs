using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DmVoice.TestSupport.LiveKit;

/// <summary>
/// Minimal HS256 JWT code for the fake server. Deliberately independent of DmVoice.LiveKit (TestSupport does
/// not reference it), so the fake checks our client the way a separate implementation — LiveKit — would.
/// </summary>
public static class FakeLiveKitJwt
{
    /// <summary>Same tolerance the LiveKit SDKs allow for clock skew.</summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(10);

    /// <summary>A LiveKit-style token: iss = apiKey, nbf/exp, plus the given claims (sub, name, video, sha256...).</summary>
    public static string Sign(string apiKey, string apiSecret, JsonObject claims, DateTimeOffset now, TimeSpan ttl)
    {
        var payload = (JsonObject)claims.DeepClone();
        payload["iss"] = apiKey;
        payload["nbf"] = now.ToUnixTimeSeconds();
        payload["exp"] = now.Add(ttl).ToUnixTimeSeconds();
        var header = Base64Url(Encoding.UTF8.GetBytes("""{"alg":"HS256","typ":"JWT"}"""));
        var body = Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(apiSecret), Encoding.ASCII.GetBytes(header + "." + body)));
        return header + "." + body + "." + signature;
    }

    /// <summary>Checks signature (HS256 only), issuer and nbf/exp; returns the payload or an error text.</summary>
    public static bool TryVerify(
        string token, string apiKey, string apiSecret, DateTimeOffset now, out JsonElement payload, out string error)
    {
        payload = default;
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            error = "malformed token";
            return false;
        }

        try
        {
            using (var header = JsonDocument.Parse(FromBase64Url(parts[0])))
            {
                if (!header.RootElement.TryGetProperty("alg", out var alg) || alg.GetString() != "HS256")
                {
                    error = "unsupported alg";
                    return false;
                }
            }

            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(apiSecret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, FromBase64Url(parts[2])))
            {
                error = "invalid signature";
                return false;
            }

            using var document = JsonDocument.Parse(FromBase64Url(parts[1]));
            var root = document.RootElement;
            if (!root.TryGetProperty("iss", out var iss) || iss.GetString() != apiKey)
            {
                error = "invalid issuer";
                return false;
            }

            var nowSeconds = now.ToUnixTimeSeconds();
            var tolerance = (long)ClockTolerance.TotalSeconds;
            if (!root.TryGetProperty("exp", out var exp) || exp.GetInt64() + tolerance < nowSeconds)
            {
                error = "token expired";
                return false;
            }

            if (root.TryGetProperty("nbf", out var nbf) && nbf.GetInt64() - tolerance > nowSeconds)
            {
                error = "token not valid yet";
                return false;
            }

            payload = root.Clone();
            error = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            error = "malformed token";
            return false;
        }
    }

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
