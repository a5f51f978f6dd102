import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';

export const {
  ConfigurableModuleClass: JetStreamConfigurableModule,
  MODULE_OPTIONS_TOKEN: JETSTREAM_MODULE_OPTIONS,
  OPTIONS_TYPE: JETSTREAM_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: JETSTREAM_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<JetStreamOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
