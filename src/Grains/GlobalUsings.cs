global using DmVoice.Abstractions;
global using Orleans;
global using Orleans.Concurrency;
global using Orleans.Runtime;
global using DmVoice.Grains.Infrastructure;
global using DmVoice.Grains.Rooms;
