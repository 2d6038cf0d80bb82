using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Hosting;

/// <summary>
/// What one user may do with voice channels, bound from the "Channels" configuration section. Together these
/// bound what one account can make the cluster store and how far it can reach into other users' lists.
/// </summary>
public sealed class ChannelOptions
{
    public const string SectionName = "Channels";

    /// <summary>Channels one user may own at once; beyond it 409 <c>limit_reached</c> (delete one first).</summary>
    public int OwnedPerUser { get; set; } = 100;

    /// <summary>
    /// Channels a user's list may hold when they create one or accept an invite; beyond it 409
    /// <c>limit_reached</c> (leave one first).
    /// </summary>
    public int ListedPerUser { get; set; } = 500;

    /// <summary>New channels one user may create per minute; beyond it 429 <c>rate_limited</c>.</summary>
    public int CreatedPerMinute { get; set; } = 10;

    /// <summary>
    /// Invitations (those named at creation included) and removals of others one user may make per minute;
    /// beyond it 429 <c>rate_limited</c>.
    /// </summary>
    public int AccessChangesPerMinute { get; set; } = 30;

    /// <summary>Channel invites a user may have waiting for an answer; one more is refused (<c>cannot_add_user</c>).</summary>
    public int InvitesPendingPerUser { get; set; } = 50;
}

/// <summary>Refuses to start with channel settings outside their documented ranges.</summary>
public sealed class ChannelOptionsValidator : IValidateOptions<ChannelOptions>
{
    public ValidateOptionsResult Validate(string? name, ChannelOptions options)
    {
        var failures = new List<string>();
        Check(options.OwnedPerUser is >= 1 and <= 100_000, "Channels:OwnedPerUser must be 1-100000.");
        Check(options.ListedPerUser is >= 1 and <= 100_000, "Channels:ListedPerUser must be 1-100000.");
        Check(options.CreatedPerMinute is >= 1 and <= 100_000, "Channels:CreatedPerMinute must be 1-100000.");
        Check(options.AccessChangesPerMinute is >= 1 and <= 100_000, "Channels:AccessChangesPerMinute must be 1-100000.");
        Check(options.InvitesPendingPerUser is >= 1 and <= 10_000, "Channels:InvitesPendingPerUser must be 1-10000.");
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
