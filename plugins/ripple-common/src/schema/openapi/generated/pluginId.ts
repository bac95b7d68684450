export const pluginId = 'ripple';
