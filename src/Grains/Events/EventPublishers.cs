using DmVoice.Grains.Hosting;

namespace DmVoice.Grains.Events;

internal static class EventPublishers
{
    /// <summary>The publisher for the cluster's delivery mode, for one grain activation.</summary>
    public static IEventPublisher For(Grain grain, DmVoiceClusterOptions cluster, LocalGateways? localGateways, TimeProvider time) =>
        cluster.UsesStreams
            ? new StreamEventPublisher(grain.GetStreamProvider(VoiceStreams.ProviderName))
            : new DirectEventPublisher($"{grain.GetGrainId()}/{Guid.NewGuid():N}", localGateways, time);
}
