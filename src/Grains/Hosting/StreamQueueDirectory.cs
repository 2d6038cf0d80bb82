using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Orleans.GrainDirectory;
using Orleans.Metadata;
using Orleans.Providers;
using Orleans.Runtime.GrainDirectory;

namespace DmVoice.Grains.Hosting;

/// <summary>
/// Streams delivery in Redis mode: the memory-stream queue grains are registered in a directory kept
/// in Redis, where a registration is atomic, instead of in Orleans' default directory. The default
/// directory is eventually consistent: while a restarted silo takes over part of it, that silo can
/// activate a second copy of a queue grain. Its rooms then enqueue their events into the copy, which
/// no pulling agent reads, and devices lose every later event of those rooms without any error (the
/// fault soak found it; docs/RELIABILITY.md). Queue grains are few (<c>Cluster:StreamQueueCount</c>),
/// so the directory costs a handful of Redis keys; every other grain keeps the default directory.
/// </summary>
internal sealed class StreamQueueDirectory(IServiceProvider services, GrainClassMap grainClasses) : IGrainDirectoryResolver
{
    public const string Name = "stream-queues";

    public bool TryResolveGrainDirectory(GrainType grainType, GrainProperties? properties, [NotNullWhen(true)] out IGrainDirectory? grainDirectory)
    {
        if (grainClasses.TryGetGrainClass(grainType, out var grainClass) && grainClass == typeof(MemoryStreamQueueGrain))
        {
            grainDirectory = services.GetRequiredKeyedService<IGrainDirectory>(Name);
            return true;
        }

        grainDirectory = null;
        return false;
    }
}
