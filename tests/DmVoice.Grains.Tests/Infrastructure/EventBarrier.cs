namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// Proves that nothing more is on its way from a DM's call to some devices, so tests can assert
/// absence and "exactly once" without sleeping. It rests on the ordering DmVoice promises in both
/// delivery modes: one call's events reach a device in the order the call made them. So once a
/// device has seen a later event of the call, every earlier one has arrived: for a live call the
/// barrier makes one (a participant turns their video on or off), for an ended call the call's last
/// event, dmVoiceCallEnded, is that event. A member who was removed from the DM heard last of their
/// removal, so that is the event their devices wait for.
/// </summary>
public static class EventBarrier
{
    public static async Task FlushAsync(IClusterClient client, string dmGroupId, params EventRecorder[] recorders)
    {
        var call = client.GetGrain<IDmCallGrain>(dmGroupId);
        var members = new List<EventRecorder>();
        foreach (var recorder in recorders)
        {
            try
            {
                await call.GetPresence(recorder.UserId);
                members.Add(recorder);
            }
            catch (DmVoiceException ex) when (ex.Code == ErrorCodes.DmNotFound)
            {
                await recorder.WaitForAsync<DmVoiceEvent>(e => e.DmGroupId == dmGroupId && e switch
                {
                    UserLeftEvent left => left.UserId == recorder.UserId && left.Reason == LeaveReasons.Removed,
                    RingStoppedEvent stopped => stopped.UserId == recorder.UserId && stopped.Outcome == RingOutcomes.Removed,
                    _ => false,
                });
            }
        }

        if (members.Count == 0)
        {
            return;
        }

        recorders = [.. members];
        var presence = await call.GetPresence(recorders[0].UserId);
        if (presence.Participants.Count > 0 && presence.Participants[0] is var participant)
        {
            var marker = await call.UpdateState(participant.UserId, new VoiceStatePatch(IsVideoEnabled: !participant.IsVideoEnabled));
            var version = (await call.GetPresence(recorders[0].UserId)).Version;
            foreach (var recorder in recorders)
            {
                await recorder.WaitForAsync<UserUpdatedEvent>(e => e.DmGroupId == dmGroupId && e.Version == version && e.User == marker);
            }

            return;
        }

        foreach (var recorder in recorders)
        {
            await recorder.WaitForAsync<CallEndedEvent>(e => e.DmGroupId == dmGroupId && e.Version == presence.Version);
        }
    }
}
