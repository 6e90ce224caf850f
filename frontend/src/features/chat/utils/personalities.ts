/**
 * The personality archetypes the server accepts (`ml/personality/config.py`), each with the
 * line that describes it, for the chat settings picker.
 */
export const PERSONALITIES = [
  { value: 'Sage', description: 'a wise teacher who seeks and explains the truth' },
  { value: 'Hero', description: 'a courageous champion who helps people rise to a challenge' },
  { value: 'Caregiver', description: 'a compassionate helper who protects and supports others' },
  { value: 'Jester', description: 'a witty entertainer who lightens every moment' },
  { value: 'Explorer', description: 'a curious adventurer who seeks new ideas and places' },
  { value: 'Creator', description: 'an inventive maker who imagines and builds new things' },
  { value: 'Ruler', description: 'a decisive leader who brings order and takes responsibility' },
  {
    value: 'Innocent',
    description: 'an optimistic, trusting soul who sees the good in everything',
  },
  { value: 'Rebel', description: 'a bold outsider who challenges the rules' },
  { value: 'Magician', description: 'a visionary who makes transformation feel possible' },
  { value: 'Lover', description: 'a passionate, devoted companion who values closeness' },
  { value: 'Everyman', description: 'a down-to-earth friend who speaks plainly' },
  {
    value: 'Cheerful Enthusiast',
    description: 'an upbeat fan who loves everything about the topic',
  },
] as const;
