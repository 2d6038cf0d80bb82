using Microsoft.Extensions.Options;

namespace DmVoice.Grains.LiveKit;

/// <summary>
/// How DmVoice keeps LiveKit and its calls in step, bound from the same "LiveKit" section as the connection
/// settings (<see cref="DmVoice.LiveKit.LiveKitOptions"/>). Only used when LiveKit is configured.
/// </summary>
public sealed class LiveKitSyncOptions
{
    /// <summary>How often a live call compares its participants with LiveKit's (ListParticipants).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a participant may be in DmVoice's call without being in the LiveKit room (connecting media
    /// takes a moment) before the sweep removes them as <c>disconnected</c>.
    /// </summary>
    public TimeSpan AbsenceGrace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>First retry delay of a failed RoomService command; it doubles up to <see cref="CommandRetryMaxDelay"/>.</summary>
    public TimeSpan CommandRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan CommandRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per command (the first one included) before it is given up (logged).</summary>
    public int CommandMaxAttempts { get; set; } = 12;

    /// <summary>A command older than this is given up instead of retried: by then it is more likely stale than useful.</summary>
    public TimeSpan CommandMaxAge { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Refuses to start with LiveKit sync settings that cannot work.</summary>
public sealed class LiveKitSyncOptionsValidator : IValidateOptions<LiveKitSyncOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveKitSyncOptions options)
    {
        var failures = new List<string>();
        Check(options.SweepInterval >= TimeSpan.FromMilliseconds(50) && options.SweepInterval <= TimeSpan.FromHours(1), "LiveKit:SweepInterval must be 50 ms to 1 hour.");
        Check(options.AbsenceGrace >= TimeSpan.Zero && options.AbsenceGrace <= TimeSpan.FromHours(1), "LiveKit:AbsenceGrace must be 0 to 1 hour.");
        Check(options.CommandRetryDelay > TimeSpan.Zero, "LiveKit:CommandRetryDelay must be positive.");
        Check(options.CommandRetryMaxDelay >= options.CommandRetryDelay, "LiveKit:CommandRetryMaxDelay must be at least CommandRetryDelay.");
        Check(options.CommandMaxAttempts is >= 1 and <= 1000, "LiveKit:CommandMaxAttempts must be 1-1000.");
        Check(options.CommandMaxAge > TimeSpan.Zero, "LiveKit:CommandMaxAge must be positive.");
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
