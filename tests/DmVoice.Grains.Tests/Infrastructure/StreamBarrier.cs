using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// Proves that nothing more is on its way down a user's stream. A user stream is one ordered memory
/// queue; a marker event enqueued after an operation finished (or after one of its later events was
/// seen elsewhere) arrives after every event that operation published. Once the marker is seen, an
/// event that has not arrived was never sent, so tests can assert absence and "exactly once" without sleeping.
/// </summary>
public static class StreamBarrier
{
    public static async Task FlushAsync(IClusterClient client, params EventRecorder[] recorders)
    {
        foreach (var recorder in recorders)
        {
            var marker = "barrier-" + Guid.NewGuid().ToString("N");
            var stream = client.GetStreamProvider(VoiceStreams.ProviderName)
                .GetStream<VoiceEvent>(VoiceStreams.ForUser(recorder.UserId));
            await stream.OnNextAsync(new UserLeftEvent { DmGroupId = marker, CallId = marker, Version = 0, UserId = recorder.UserId, Reason = "barrier" });
            await recorder.WaitForAsync<UserLeftEvent>(e => e.DmGroupId == marker);
        }
    }

    /// <summary>The RingStopped events a recorder saw for one recipient in one DM, in arrival order.</summary>
    public static RingStoppedEvent[] RingStops(this EventRecorder recorder, string dmGroupId, string recipientId) =>
        recorder.OfType<RingStoppedEvent>().Where(e => e.DmGroupId == dmGroupId && e.UserId == recipientId).ToArray();
}
