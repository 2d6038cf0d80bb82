using DmVoice.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Events;

internal static class EventPublishers
{
    /// <summary>
    /// The publisher for the cluster's delivery mode, for one grain activation, wrapped so that an
    /// event whose send fails is owed and sent again rather than dropped (<see cref="OwingEventPublisher"/>).
    /// </summary>
    public static IEventPublisher For(Grain grain, DmVoiceClusterOptions cluster, LocalGateways? localGateways, TimeProvider time, string label, ILogger logger)
    {
        IEventPublisher publisher = cluster.UsesStreams
            ? new StreamEventPublisher(grain.GetStreamProvider(VoiceStreams.ProviderName))
            : new DirectEventPublisher($"{grain.GetGrainId()}/{Guid.NewGuid():N}", localGateways, time);
        return new OwingEventPublisher(publisher, grain, label, logger);
    }
}
