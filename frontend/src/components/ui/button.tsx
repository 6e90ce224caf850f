/** The app's button: Base UI's Button with our visual variants. */
import { Button as BaseButton } from '@base-ui/react/button';

import styles from './button.module.css';

export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'ghost';

export interface ButtonProps extends Omit<BaseButton.Props, 'className'> {
  variant?: ButtonVariant;
  size?: 'medium' | 'small';
  className?: string;
}

export function Button({
  variant = 'secondary',
  size = 'medium',
  className,
  type = 'button',
  ...props
}: ButtonProps) {
  const classes = [styles.button, styles[variant], size === 'small' && styles.small, className];
  return <BaseButton type={type} className={classes.filter(Boolean).join(' ')} {...props} />;
}
