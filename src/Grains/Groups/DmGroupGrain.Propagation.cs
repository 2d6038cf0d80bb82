using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Groups;

/// <summary>
/// Propagation: a membership change reaches the DM's call grain and every affected user's directory.
/// What is still owed is stored in the same write as the change itself, tried at once, and retried
/// with backoff (a timer, and a reminder in durable mode) until it is done, so a step that fails the
/// first time is applied within a bounded time and a restart in between loses nothing. The request
/// that made the change succeeds once the change is stored.
/// </summary>
public sealed partial class DmGroupGrain
{
    private const string PropagationReminder = "membership-propagation";

    private OwedWork? _propagation;

    private OwedWork Propagation => _propagation ??= new OwedWork(
        this, Backoff.Propagation, PushOwedAsync, (ex, delay) => LogPropagationFailed(ex, DmGroupId, delay));

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (HasPendingPropagation)
        {
            Propagation.ScheduleSoon();
        }

        return Task.CompletedTask;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != PropagationReminder)
        {
            return;
        }

        if (HasPendingPropagation)
        {
            await PropagateAsync();
        }
        else if (await this.GetReminder(PropagationReminder) is { } stray)
        {
            // Nothing owed (the write that stored that was the last thing to happen): stop waking up.
            await this.UnregisterReminder(stray);
        }
    }

    private bool HasPendingPropagation =>
        state.State.CallSyncPending || state.State.DirectoryAdds.Count > 0 || state.State.DirectoryRemoves.Count > 0;

    private void QueuePropagation(IReadOnlyList<string> added, IReadOnlyList<string> removed)
    {
        var pending = state.State;
        pending.CallSyncPending = true;
        foreach (var userId in added)
        {
            pending.DirectoryRemoves.Remove(userId);
            if (!pending.DirectoryAdds.Contains(userId))
            {
                pending.DirectoryAdds.Add(userId);
            }
        }

        foreach (var userId in removed)
        {
            pending.DirectoryAdds.Remove(userId);
            if (!pending.DirectoryRemoves.Contains(userId))
            {
                pending.DirectoryRemoves.Add(userId);
            }
        }
    }

    /// <summary>Pushes what is owed; on failure keeps it (stored) and retries later. Never throws.</summary>
    private Task PropagateAsync() => HasPendingPropagation ? Propagation.RunAsync() : Task.CompletedTask;

    private async Task PushOwedAsync()
    {
        if (!HasPendingPropagation)
        {
            return;
        }

        var pending = state.State;
        try
        {
            // Every step is idempotent, so a retry simply does them all again.
            if (pending.CallSyncPending)
            {
                await GrainFactory.GetGrain<IDmCallGrain>(DmGroupId).SyncMembers(pending.Exists ? pending.Members : [], pending.IsGroup);
            }

            await Task.WhenAll(
                pending.DirectoryAdds.ToArray().Select(id => GrainFactory.GetGrain<IUserDirectoryGrain>(id).AddDm(DmGroupId))
                    .Concat(pending.DirectoryRemoves.ToArray().Select(id => GrainFactory.GetGrain<IUserDirectoryGrain>(id).RemoveDm(DmGroupId))));
        }
        catch
        {
            await EnsureWakeUpAsync();
            throw;
        }

        // A membership change is activity in the DM: it moves up in every member's list (the added
        // members' AddDm did that already).
        var at = clock.UtcNow;
        foreach (var id in pending.Members.Except(pending.DirectoryAdds, StringComparer.Ordinal))
        {
            GrainFactory.GetGrain<IUserDirectoryGrain>(id).DmActivity(DmGroupId, at).Ignore();
        }

        pending.CallSyncPending = false;
        pending.DirectoryAdds.Clear();
        pending.DirectoryRemoves.Clear();
        var reminderWasNeeded = pending.ReminderRegistered;
        pending.ReminderRegistered = false;
        await state.WriteOrDropAsync(this);

        // Only once "nothing owed" is stored: until then the reminder may be what wakes this grain.
        if (reminderWasNeeded && await this.GetReminder(PropagationReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>
    /// Wakes this grain for the retry should its silo go away (durable mode). The flag is stored with
    /// the next successful write; registering twice is harmless.
    /// </summary>
    private async Task EnsureWakeUpAsync()
    {
        try
        {
            if (options.Value.DurableDeadlines && !state.State.ReminderRegistered)
            {
                await this.RegisterOrUpdateReminder(PropagationReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
                state.State.ReminderRegistered = true;
            }
        }
        catch (Exception reminderError)
        {
            LogPropagationFailed(reminderError, DmGroupId, Backoff.Propagation.Initial);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "DM {DmGroupId}: pushing a membership change failed; retrying in {Delay}")]
    private partial void LogPropagationFailed(Exception exception, string dmGroupId, TimeSpan delay);
}
