using System.Text;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Push;

/// <summary>
/// Push notifications for devices that are not connected, bound from the "Push" section. Off while
/// <see cref="Url"/> is unset; with it, <see cref="Secret"/> (at least 32 bytes) is required. Silos need it
/// (the outboxes run there); a gateway that co-hosts its silo reads the same section.
/// </summary>
public sealed class PushOptions
{
    public const string SectionName = "Push";
    public const int MinimumSecretBytes = 32;

    /// <summary>Where notifications are POSTed (http or https). Unset: push is off.</summary>
    public string? Url { get; set; }

    /// <summary>The HMAC-SHA256 key notifications are signed with; shared with the push service.</summary>
    public string? Secret { get; set; }

    /// <summary>How long one attempt may take before it counts as failed and is retried.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first retry delay; it doubles with each failed attempt, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Attempts per notification (the first one included) before it is given up (logged, counted).</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>
    /// A "ring stopped" older than this is given up. (A "ring started" is given up when its ring would have
    /// expired: ringing a phone after that is worse than not ringing it.)
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Notifications one user's outbox holds; beyond it the oldest is dropped (logged, counted).</summary>
    public int OutboxLimit { get; set; } = 100;

    public bool Enabled => !string.IsNullOrWhiteSpace(Url);
}

/// <summary>Refuses to start with push settings that cannot work (only checked while push is on).</summary>
public sealed class PushOptionsValidator : IValidateOptions<PushOptions>
{
    public ValidateOptionsResult Validate(string? name, PushOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        Check(
            Uri.TryCreate(options.Url, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps),
            "Push:Url must be an absolute http or https URL.");
        Check(
            options.Secret is not null && Encoding.UTF8.GetByteCount(options.Secret) >= PushOptions.MinimumSecretBytes,
            $"Push:Secret must be at least {PushOptions.MinimumSecretBytes} bytes when Push:Url is set.");
        Check(options.Timeout >= TimeSpan.FromMilliseconds(100) && options.Timeout <= TimeSpan.FromMinutes(1), "Push:Timeout must be 0.1-60 seconds.");
        Check(options.RetryDelay >= TimeSpan.FromMilliseconds(10) && options.RetryDelay <= TimeSpan.FromMinutes(1), "Push:RetryDelay must be 0.01-60 seconds.");
        Check(options.RetryMaxDelay >= options.RetryDelay && options.RetryMaxDelay <= TimeSpan.FromHours(1), "Push:RetryMaxDelay must be at least Push:RetryDelay and at most an hour.");
        Check(options.MaxAttempts is >= 1 and <= 100, "Push:MaxAttempts must be 1-100.");
        Check(options.MaxAge >= TimeSpan.FromSeconds(10) && options.MaxAge <= TimeSpan.FromDays(1), "Push:MaxAge must be 10 seconds to a day.");
        Check(options.OutboxLimit is >= 2 and <= 10_000, "Push:OutboxLimit must be 2-10000.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(bool ok, string message)
        {
            if (!ok)
            {
                failures.Add(message);
            }
        }
    }
}
