global using DmVoice.Abstractions;
global using DmVoice.Grains.Calls;
global using DmVoice.Grains.Channels;
global using DmVoice.Grains.Hosting;
global using DmVoice.Grains.Rooms;
global using Xunit;
