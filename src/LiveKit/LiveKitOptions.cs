using System.Text;
using Microsoft.Extensions.Options;

namespace DmVoice.LiveKit;

/// <summary>Connection settings for the LiveKit SFU, bound from the "LiveKit" configuration section.</summary>
public sealed class LiveKitOptions
{
    public const string SectionName = "LiveKit";

    /// <summary>
    /// HS256 needs a key of at least 256 bits; Microsoft.IdentityModel refuses shorter keys at signing time,
    /// so a short secret is rejected at startup instead of on the first call.
    /// </summary>
    public const int MinimumSecretBytes = 32;

    /// <summary>LiveKit server URL, e.g. http://127.0.0.1:7880. ws/wss (what clients use) are accepted too.</summary>
    public string Url { get; set; } = string.Empty;

    public string ApiKey { get; set; } = string.Empty;

    public string ApiSecret { get; set; } = string.Empty;

    /// <summary>Lifetime of the tokens we mint (server API calls and client join tokens).</summary>
    public TimeSpan TokenTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Per-request timeout for Twirp calls; a timeout surfaces as <see cref="LiveKitUnavailableException"/>.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Base URI for Twirp calls: ws→http and wss→https, as the official SDKs do.</summary>
    public Uri TwirpBaseUri => new(LiveKitUrls.ToHttp(Url));

    /// <summary>Returns every problem with this configuration (empty when valid).</summary>
    public IReadOnlyList<string> GetValidationErrors()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Url))
        {
            errors.Add("LiveKit:Url is required (e.g. http://127.0.0.1:7880).");
        }
        else if (!Uri.TryCreate(LiveKitUrls.ToHttp(Url), UriKind.Absolute, out var uri)
                 || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"LiveKit:Url '{Url}' must be an absolute http, https, ws or wss URL.");
        }

        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            errors.Add("LiveKit:ApiKey is required.");
        }

        if (string.IsNullOrEmpty(ApiSecret))
        {
            errors.Add("LiveKit:ApiSecret is required.");
        }
        else if (Encoding.UTF8.GetByteCount(ApiSecret) < MinimumSecretBytes)
        {
            errors.Add($"LiveKit:ApiSecret must be at least {MinimumSecretBytes} bytes (HS256 key size).");
        }

        if (TokenTtl <= TimeSpan.Zero)
        {
            errors.Add("LiveKit:TokenTtl must be positive.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add("LiveKit:RequestTimeout must be positive.");
        }

        return errors;
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    public void Validate()
    {
        var errors = GetValidationErrors();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(SectionName, typeof(LiveKitOptions), errors);
        }
    }
}

/// <summary>Makes the host fail at startup (with ValidateOnStart) when the LiveKit section is wrong.</summary>
public sealed class LiveKitOptionsValidator : IValidateOptions<LiveKitOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveKitOptions options)
    {
        var errors = options.GetValidationErrors();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

public static class LiveKitUrls
{
    /// <summary>Clients connect with ws(s)://; the server API (Twirp) is plain HTTP on the same host and port.</summary>
    public static string ToHttp(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.StartsWith("wss://", StringComparison.OrdinalIgnoreCase))
        {
            return "https://" + url["wss://".Length..];
        }

        if (url.StartsWith("ws://", StringComparison.OrdinalIgnoreCase))
        {
            return "http://" + url["ws://".Length..];
        }

        return url;
    }
}
